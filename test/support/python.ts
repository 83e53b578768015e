// Runs the system Python (/usr/bin/python3, the Debian packages python3-jwt, -fastapi, -httpx, -cryptography)
// for the interop tests: arguments, optional stdin, and everything it printed.
import { spawn } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PythonOptions {
  cwd?: string;
  /** the whole environment of the interpreter (default: pythonEnv()) */
  env?: NodeJS.ProcessEnv;
  /** written to stdin, which is then closed (default: an empty stdin) */
  input?: string;
}

/** This process's environment without anything that could point the interpreter at another installation. */
export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PYTHONPATH: _p, PYTHONHOME: _h, PYENV_VERSION: _v, ...rest } = process.env;
  return { ...rest, PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

/** Resolves when the interpreter has exited and its output is closed; rejects only if it cannot start. */
export function runPython(args: string[], options: PythonOptions = {}): Promise<PythonResult> {
  const child = spawn(PYTHON, args, {
    cwd: options.cwd,
    env: options.env ?? pythonEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  // an interpreter that exits before reading its input: the exit code and stderr say why, not an EPIPE
  child.stdin.on('error', () => {});
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
