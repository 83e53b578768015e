// Batched writers for the gateway's hot path (never one SQL write per request): per-day usage counters
// (usage_daily) and API-key last_used_at. Both keep their data in memory between flushes and keep it
// when a flush fails.
import { BatchWriter, type BatchWriterOptions, chunks, valuesList } from './batch.ts';
import type { SqlExecutor } from './types.ts';

/** Rows per INSERT/UPDATE statement (PostgreSQL allows 65535 parameters). */
const ROWS_PER_STATEMENT = 1000;

export type UsageRecorderOptions = BatchWriterOptions;

export interface UsageRow {
  /** 'user:<id>' or 'key:<id>' */
  principal: string;
  /** UTC day, YYYY-MM-DD */
  day: string;
  service: string;
  count: number;
}

const utcDay = (at: Date): string => at.toISOString().slice(0, 10);
const DAY_MS = 86_400_000;

/** Counts requests per principal, UTC day and service; flushes with INSERT ... ON CONFLICT DO UPDATE count = count + n. */
export class UsageRecorder extends BatchWriter {
  #counts = new Map<string, UsageRow>();
  /** The last UTC day seen and its bounds (epoch ms): formatting a date per request is the costly part. */
  #day = { name: '', start: 0, end: 0 };

  get pending(): number {
    return this.#counts.size;
  }

  record(principal: string, service: string, at: Date = this.now(), count = 1): void {
    this.checkOpen();
    this.#add({ principal, day: this.#dayOf(at), service, count });
  }

  #dayOf(at: Date): string {
    const ms = at.getTime();
    if (ms < this.#day.start || ms >= this.#day.end) {
      const start = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
      this.#day = { name: utcDay(at), start, end: start + DAY_MS };
    }
    return this.#day.name;
  }

  #add(row: UsageRow): void {
    const key = `${row.principal}\u0000${row.day}\u0000${row.service}`;
    const entry = this.#counts.get(key);
    if (entry) entry.count += row.count;
    else this.#counts.set(key, { ...row });
  }

  protected async write(): Promise<void> {
    const batch = chunks([...this.#counts.values()], ROWS_PER_STATEMENT);
    this.#counts = new Map();
    for (let i = 0; i < batch.length; i++) {
      const rows = batch[i];
      try {
        await this.sql.query(
          `INSERT INTO usage_daily (principal, day, service, count) VALUES ${valuesList(rows.length, ['', '::date', '', '::bigint'])}
           ON CONFLICT (principal, day, service) DO UPDATE SET count = usage_daily.count + EXCLUDED.count`,
          rows.flatMap((r) => [r.principal, r.day, r.service, r.count]),
        );
      } catch (err) {
        for (const row of batch.slice(i).flat()) this.#add(row);
        throw err;
      }
    }
  }
}

export interface UsageQuery {
  /** Exactly this principal ('user:usr_1', 'key:key_1'). */
  principal?: string;
  /** Every principal starting with this ('key:' for all keys). */
  principalPrefix?: string;
  service?: string;
  /** First and last UTC day, inclusive: 'YYYY-MM-DD' or a Date. */
  from: string | Date;
  to: string | Date;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(value: string | Date, name: string): string {
  const text = value instanceof Date ? utcDay(value) : value;
  if (!DAY.test(text) || Number.isNaN(Date.parse(`${text}T00:00:00Z`))) {
    throw new TypeError(`${name} must be a date (YYYY-MM-DD)`);
  }
  return text;
}

/** Usage rows between from and to (inclusive), ordered by day, principal, service. */
export async function queryUsage(sql: SqlExecutor, query: UsageQuery): Promise<UsageRow[]> {
  const params: unknown[] = [day(query.from, 'from'), day(query.to, 'to')];
  const where = ['day BETWEEN $1::date AND $2::date'];
  if (query.principal !== undefined) {
    params.push(query.principal);
    where.push(`principal = $${params.length}`);
  }
  if (query.principalPrefix !== undefined) {
    params.push(`${query.principalPrefix.replace(/[\\%_]/g, '\\$&')}%`);
    where.push(`principal LIKE $${params.length} ESCAPE '\\'`);
  }
  if (query.service !== undefined) {
    params.push(query.service);
    where.push(`service = $${params.length}`);
  }
  const { rows } = await sql.query<UsageRow>(
    `SELECT principal, to_char(day, 'YYYY-MM-DD') AS day, service, count FROM usage_daily
      WHERE ${where.join(' AND ')} ORDER BY day, principal, service`,
    params,
  );
  return rows;
}

export type ApiKeyLastUsedRecorderOptions = BatchWriterOptions;

/** Remembers the latest use per API key; flushes with one UPDATE ... FROM (VALUES ...) that never moves last_used_at back. */
export class ApiKeyLastUsedRecorder extends BatchWriter {
  #latest = new Map<string, Date>();

  get pending(): number {
    return this.#latest.size;
  }

  touch(id: string, at: Date = this.now()): void {
    this.checkOpen();
    this.#keep(id, at);
  }

  #keep(id: string, at: Date): void {
    const seen = this.#latest.get(id);
    if (!seen || seen < at) this.#latest.set(id, at);
  }

  protected async write(): Promise<void> {
    const batch = chunks([...this.#latest], ROWS_PER_STATEMENT);
    this.#latest = new Map();
    for (let i = 0; i < batch.length; i++) {
      const rows = batch[i];
      try {
        await this.sql.query(
          `UPDATE api_keys AS k SET last_used_at = v.at
             FROM (VALUES ${valuesList(rows.length, ['::text', '::timestamptz'])}) AS v(id, at)
            WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.at)`,
          rows.flat(),
        );
      } catch (err) {
        for (const [id, at] of batch.slice(i).flat()) this.#keep(id, at);
        throw err;
      }
    }
  }
}
