// Usage counters and API-key last use, recorded in memory per request and written in bounded chunks. The store's
// batched writers (UsageRecorder, ApiKeyLastUsedRecorder) write all they hold in one flush, 1000 rows per
// statement, one statement after the other. On PGlite — PostgreSQL compiled to WebAssembly, running on the
// gateway's own thread — a statement runs synchronously and awaiting it never gives the event loop back: a flush
// of 30 000 usage rows (one per principal, e.g. a new token per request) held the loop for 300-500 ms
// (measured), and every request in flight waited that long. So the gateway aggregates here and hands the store's
// writer at most `chunkRows` entries per flush — one SQL statement each, never one per request — and yields to
// the event loop (setImmediate) before each, so requests are served between chunks.
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** What the gateway needs of a store writer (constructed with flushIntervalMs: 0: it only writes when told). */
export interface ChunkWriter {
  /** entries it holds (e.g. kept after a failed write) */
  readonly pending: number;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface PacedWriterOptions {
  /** entries per SQL statement */
  readonly chunkRows: number;
  /** 0: no timer (flush() and close() only) */
  readonly intervalMs: number;
  /** a timed flush failed; what was not written is kept for the next one */
  readonly onError: (err: unknown) => void;
}

abstract class PacedWriter<V> {
  /** aggregated entries not yet handed to the store's writer */
  protected entries = new Map<string, V>();
  readonly #writer: ChunkWriter;
  readonly #chunkRows: number;
  readonly #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(writer: ChunkWriter, options: PacedWriterOptions) {
    this.#writer = writer;
    this.#chunkRows = options.chunkRows;
    if (options.intervalMs > 0) {
      this.#timer = setInterval(() => this.flush().catch(options.onError), options.intervalMs);
      this.#timer.unref();
    }
  }

  /** entries waiting, here and in the store's writer */
  get pending(): number {
    return this.entries.size + this.#writer.pending;
  }

  /** Writes everything pending, chunk by chunk; concurrent calls run one after the other. Rejects when a chunk
   *  could not be written (the rest is kept). */
  flush(): Promise<void> {
    const run = this.#chain.then(() => this.#drain());
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Stops the timer, writes what is pending, closes the store's writer. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    try {
      await this.flush();
    } finally {
      await this.#writer.close();
    }
  }

  /** Moves one aggregated entry into the store's writer. */
  protected abstract hand(key: string, value: V): void;
  /** Adds an entry back after a failed write (merging with what arrived meanwhile). */
  protected abstract keep(key: string, value: V): void;

  async #drain(): Promise<void> {
    // what a failed write left in the store's writer goes first, alone
    if (this.#writer.pending > 0) await this.#writeChunk();
    const taken = this.entries;
    this.entries = new Map();
    let handed = 0;
    try {
      for (const [key, value] of taken) {
        taken.delete(key);
        this.hand(key, value);
        if (++handed === this.#chunkRows) {
          await this.#writeChunk();
          handed = 0;
        }
      }
      if (handed > 0) await this.#writeChunk();
    } catch (err) {
      // the store's writer kept its chunk; what was not handed yet stays here
      for (const [key, value] of taken) this.keep(key, value);
      throw err;
    }
  }

  async #writeChunk(): Promise<void> {
    await yieldToLoop();
    await this.#writer.flush();
  }
}

const DAY_MS = 86_400_000;

interface UsageCount {
  readonly principal: string;
  readonly service: string;
  /** start of the UTC day, unix ms */
  readonly day: number;
  count: number;
}

/** The store's UsageRecorder, as the gateway feeds it. */
export interface UsageSink extends ChunkWriter {
  record(principal: string, service: string, at: Date, count: number): void;
}

/** Requests per principal, service and UTC day. */
export class PacedUsage extends PacedWriter<UsageCount> {
  readonly #sink: UsageSink;

  constructor(sink: UsageSink, options: PacedWriterOptions) {
    super(sink, options);
    this.#sink = sink;
  }

  /** One request of `principal` for `service` at `atMs` (unix ms). */
  record(principal: string, service: string, atMs: number): void {
    const day = atMs - (((atMs % DAY_MS) + DAY_MS) % DAY_MS);
    const key = `${principal}\u0000${service}\u0000${day}`;
    const entry = this.entries.get(key);
    if (entry !== undefined) entry.count++;
    else this.entries.set(key, { principal, service, day, count: 1 });
  }

  protected hand(_key: string, value: UsageCount): void {
    this.#sink.record(value.principal, value.service, new Date(value.day), value.count);
  }

  protected keep(key: string, value: UsageCount): void {
    const entry = this.entries.get(key);
    if (entry !== undefined) entry.count += value.count;
    else this.entries.set(key, value);
  }
}

/** The store's ApiKeyLastUsedRecorder, as the gateway feeds it. */
export interface LastUsedSink extends ChunkWriter {
  touch(id: string, at: Date): void;
}

/** The latest use of each API key (unix ms). */
export class PacedLastUsed extends PacedWriter<number> {
  readonly #sink: LastUsedSink;

  constructor(sink: LastUsedSink, options: PacedWriterOptions) {
    super(sink, options);
    this.#sink = sink;
  }

  touch(id: string, atMs: number): void {
    this.keep(id, atMs);
  }

  protected hand(id: string, atMs: number): void {
    this.#sink.touch(id, new Date(atMs));
  }

  protected keep(id: string, atMs: number): void {
    const seen = this.entries.get(id);
    if (seen === undefined || seen < atMs) this.entries.set(id, atMs);
  }
}
