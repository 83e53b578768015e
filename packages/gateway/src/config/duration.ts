// Durations in edgepass.yaml: a number of milliseconds, or a string such as "250ms", "30s", "5m", "2h", "1d".

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const DURATION_PATTERN = /^(\d+)(ms|s|m|h|d)$/;

/** Milliseconds for a duration string or number; undefined when the value is not a duration. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const unit = match[2] as keyof typeof UNIT_MS;
  const ms = Number(match[1]) * UNIT_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}
