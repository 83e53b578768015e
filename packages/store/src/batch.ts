// Shared plumbing of the batched writers: a periodic, serialized flush that never overlaps itself,
// and a final flush on close.
import { StoreError } from './errors.ts';
import type { SqlExecutor } from './types.ts';

export interface BatchWriterOptions {
  sql: SqlExecutor;
  now?: () => Date;
  /** Flush this often (default 5000 ms); 0 disables the timer (flush() / close() only). */
  flushIntervalMs?: number;
  /** A timed flush failed; the pending data is kept for the next one (default: ignored). */
  onFlushError?: (err: unknown) => void;
}

export abstract class BatchWriter {
  protected readonly sql: SqlExecutor;
  protected readonly now: () => Date;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: BatchWriterOptions) {
    this.sql = options.sql;
    this.now = options.now ?? (() => new Date());
    const interval = options.flushIntervalMs ?? 5000;
    const onError = options.onFlushError ?? (() => {});
    if (interval > 0) {
      this.#timer = setInterval(() => this.flush().catch(onError), interval);
      this.#timer.unref();
    }
  }

  /** Entries waiting for the next flush. */
  abstract get pending(): number;

  /** Writes what is pending; concurrent calls run one after the other. Rejects when the write failed (data kept). */
  flush(): Promise<void> {
    const run = this.#chain.then(() => (this.pending > 0 ? this.write() : undefined));
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Stops the timer and flushes one last time. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
  }

  protected checkOpen(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', `${this.constructor.name} is closed`);
  }

  /** Takes the pending entries, writes them, and puts back what could not be written before rethrowing. */
  protected abstract write(): Promise<void>;
}

/** VALUES placeholders for rows of `width` parameters: ($1, $2), ($3, $4) ... with optional casts. */
export function valuesList(rows: number, casts: readonly string[]): string {
  const out: string[] = [];
  for (let r = 0; r < rows; r++) {
    out.push(`(${casts.map((cast, c) => `$${r * casts.length + c + 1}${cast}`).join(', ')})`);
  }
  return out.join(', ');
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
