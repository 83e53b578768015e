// x-request-id (a client's is kept when it is well formed) and W3C traceparent (a valid one is
// propagated as is, otherwise a new trace starts here).
import { randomFillSync, randomUUID } from 'node:crypto';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

/** A valid traceparent header, or undefined (version ff, all-zero ids, bad shape, or version 00 with extra fields). */
export function validTraceparent(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT.exec(header);
  if (m === null) return undefined;
  const [, version, traceId, spanId, rest] = m;
  if (version === 'ff' || traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  if (version === '00' && rest !== undefined) return undefined;
  return header;
}

// random bytes drawn in blocks: one syscall per 512 new traces
const pool = Buffer.alloc(24 * 512);
let offset = pool.length;

/** A new sampled trace: 00-<16 random bytes>-<8 random bytes>-01. */
export function newTraceparent(): string {
  if (offset + 24 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const traceId = pool.toString('hex', offset, offset + 16);
  const spanId = pool.toString('hex', offset + 16, offset + 24);
  offset += 24;
  return `00-${traceId === ZERO_TRACE ? '1'.repeat(32) : traceId}-${spanId === ZERO_SPAN ? '1'.repeat(16) : spanId}-01`;
}
