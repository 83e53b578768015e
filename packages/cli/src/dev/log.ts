// The `edgepass dev` logger: pino (so every component logs as it does in production), written to stderr
// as one readable line per record instead of JSON: `12:00:00.000 INFO  gateway     request  status=200 …`.
// Redaction is a safety net; no component logs credentials in the first place.

import { REDACT_PATHS as AUTH_REDACT_PATHS } from '@edgepass/auth/internal';
import { type Logger, pino } from 'pino';

/** The auth service's list (credentials in request objects and in nested fields), plus `key` fields. */
const REDACT_PATHS = [...AUTH_REDACT_PATHS, '*.key'];

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every record has, or that are shown in the line's prefix. */
const SKIP = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'name', 'v']);
const MAX_VALUE = 300;

function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function valueText(key: string, value: unknown, level: number): string {
  if (key === 'req' && typeof value === 'object' && value !== null) {
    const r = value as { method?: string; url?: string };
    return `${r.method ?? ''} ${(r.url ?? '').split('?')[0]}`;
  }
  if (key === 'res' && typeof value === 'object' && value !== null) {
    return String((value as { statusCode?: unknown }).statusCode ?? '');
  }
  if (key === 'err' && typeof value === 'object' && value !== null) {
    const e = value as { message?: string; stack?: string };
    return level >= 50 && e.stack ? `\n${e.stack}` : (e.message ?? JSON.stringify(value));
  }
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Math.round(value * 100) / 100);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const clipped = text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
  return typeof value === 'string' && /[\s"]/.test(clipped) ? JSON.stringify(clipped) : clipped;
}

/** One pino JSON record as a line of text. */
export function formatRecord(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const level = typeof record.level === 'number' ? record.level : 30;
  // Fastify's per-request pair: "request completed" says the same (with the status), so skip the first half
  if (record.msg === 'incoming request' && level >= 30) return '';
  const time = typeof record.time === 'number' ? record.time : Date.now();
  const component = typeof record.component === 'string' ? record.component : 'edgepass';
  const fields = Object.entries(record)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${valueText(k, v, level)}`);
  const head = `${clock(time)} ${(LEVELS[level] ?? String(level)).padEnd(5)} ${component.padEnd(11)} ${String(record.msg ?? '')}`;
  return `${[head, ...fields].join('  ')}\n`;
}

export function createDevLogger(level: string, write: (text: string) => void = (t) => process.stderr.write(t)): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
    {
      write: (line: string) => {
        const text = formatRecord(line);
        if (text !== '') write(text);
      },
    },
  );
}
