// Argument checks shared by both FastState implementations, so memory refuses exactly what Redis refuses:
// a TTL must be a positive integer number of milliseconds (SET PX, PEXPIRE) and an increment an integer
// (INCRBY). Checked before anything is sent or changed; a RangeError is a caller's bug, not an outage.

export function checkTtlMs(ttlMs: number | undefined): void {
  if (ttlMs !== undefined && !(Number.isSafeInteger(ttlMs) && ttlMs > 0)) {
    throw new RangeError(`ttlMs must be a positive integer (got ${ttlMs})`);
  }
}

export function checkIncrement(by: number): void {
  if (!Number.isSafeInteger(by)) throw new RangeError(`an increment must be an integer (got ${by})`);
}
