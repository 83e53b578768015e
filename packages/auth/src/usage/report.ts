// Usage per principal per day, read from usage_daily (written in batches by gateways). A user's report
// covers the user principal (`user:<id>`) and every key the user owns or owned (`key:<id>`).
import type { SqlExecutor } from '@edgepass/store';

/** Longest range one query may cover (inclusive days). */
export const MAX_USAGE_RANGE_DAYS = 366;

export interface UsageRange {
  /** YYYY-MM-DD, inclusive */
  from: string;
  /** YYYY-MM-DD, inclusive */
  to: string;
}

export type UsageSubject = { user: string } | { key: string };

export interface DayUsage {
  day: string;
  total: number;
  /** requests per service that day */
  services: Record<string, number>;
}

export interface PrincipalUsage {
  principal: string;
  kind: 'user' | 'key';
  id: string;
  total: number;
  days: DayUsage[];
}

export interface UsageReport extends UsageRange {
  total: number;
  principals: PrincipalUsage[];
}

interface UsageRow {
  principal: string;
  day: string;
  service: string;
  count: string;
}

export async function usageReport(db: SqlExecutor, subject: UsageSubject, range: UsageRange): Promise<UsageReport> {
  const { rows } = await db.query<UsageRow>(
    `SELECT principal, day::text AS day, service, count::text AS count FROM usage_daily
     WHERE day BETWEEN $1::date AND $2::date
       AND (principal = $3 OR ($4::text IS NOT NULL
            AND principal IN (SELECT 'key:' || id FROM api_keys WHERE owner_id = $4)))
     ORDER BY principal, day, service`,
    'user' in subject
      ? [range.from, range.to, `user:${subject.user}`, subject.user]
      : [range.from, range.to, `key:${subject.key}`, null],
  );
  return { ...range, ...aggregate(rows) };
}

function aggregate(rows: UsageRow[]): Pick<UsageReport, 'total' | 'principals'> {
  const principals = new Map<string, PrincipalUsage>();
  for (const row of rows) {
    const count = Number(row.count);
    let p = principals.get(row.principal);
    if (!p) {
      const [kind, ...rest] = row.principal.split(':');
      p = { principal: row.principal, kind: kind === 'key' ? 'key' : 'user', id: rest.join(':'), total: 0, days: [] };
      principals.set(row.principal, p);
    }
    let day = p.days.at(-1);
    if (day?.day !== row.day) {
      day = { day: row.day, total: 0, services: {} };
      p.days.push(day);
    }
    // defineProperty semantics: a service named `__proto__` stays an ordinary key
    Object.defineProperty(day.services, row.service, { value: count, enumerable: true, writable: true });
    day.total += count;
    p.total += count;
  }
  const list = [...principals.values()];
  return { total: list.reduce((n, p) => n + p.total, 0), principals: list };
}
