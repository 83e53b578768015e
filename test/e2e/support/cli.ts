// The `edgepass` CLI as separate OS processes, for the whole-system tests: output collected as it
// arrives, waits on output (events, with a deadline), graceful stop and a kill that always works (for `after`).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = fileURLToPath(new URL('../../../packages/cli/src/bin.ts', import.meta.url));

/** The parent's environment without anything that would point a child at another store or change its ports. */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'DATABASE_URL' || name === 'REDIS_URL' || name.startsWith('EDGEPASS_')) continue;
    env[name] = value;
  }
  return { ...env, ...extra };
}

type Stream = 'stdout' | 'stderr';

export class CliProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  stdout = '';
  stderr = '';
  #waiters: Array<() => void> = [];

  constructor(name: string, args: string[], env: NodeJS.ProcessEnv) {
    this.name = name;
    this.child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = once(this.child, 'exit').then(([code]) => {
      this.#notify();
      return code as number | null;
    });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString('utf8');
      this.#notify();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
      this.#notify();
    });
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the stream's text once it contains `text`; rejects on exit or after timeoutMs. */
  async waitFor(text: string, { stream = 'stdout', timeoutMs = 30_000 }: { stream?: Stream; timeoutMs?: number } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this[stream];
      if (seen.includes(text)) return seen;
      if (!this.running) throw new Error(`${this.name} exited before printing "${text}":\n${this.stderr.slice(-3000)}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`${this.name} did not print "${text}" within ${timeoutMs} ms:\n${this.stderr.slice(-3000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a signal and waits for the exit code (SIGKILL after graceMs). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number | null> {
    if (!this.running) return await this.exited;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** For `after`: never throws, always leaves no process behind. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited.catch(() => {});
  }
}
