// The copy-paste curl commands of the start banner (and of the login demo page). Each one is a single
// `curl` invocation in POSIX shell syntax, with what it returns, so that the banner, the README (its demo
// table, checked by demo-commands.test.ts) and the end-to-end test (which runs them as printed) agree.
import { DEV_QUOTA } from './configs.ts';

export const DEMO_TRANSCRIPT = 'Machine learning is everywhere: machine learning models learn from good data.';

export interface DemoCommand {
  /** what the command shows */
  readonly title: string;
  /** what it returns */
  readonly expect: string;
  readonly command: string;
}

/** A word for POSIX shells: single-quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%=+,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

const JSON_BODY = JSON.stringify({ transcript: DEMO_TRANSCRIPT, limit: 5 });

export function curl(args: readonly string[]): string {
  return ['curl', ...args.map(shellQuote)].join(' ');
}

/** `curl … -d <transcript> <url>` for a vocabulary route, with the given extra arguments (credentials, -i, -N). */
export function vocabularyCurl(url: string, extra: readonly string[]): string {
  return curl([...extra, '-H', 'content-type: application/json', '-d', JSON_BODY, url]);
}

/** `fast`: where quota counters live (memory: a restart resets them). */
export function demoCommands(gatewayUrl: string, apiKey: string, fast: 'memory' | 'redis'): DemoCommand[] {
  const key = ['-H', `x-api-key: ${apiKey}`];
  const words = `${gatewayUrl}/videos/demo/vocabulary`;
  const quotaRequests = DEV_QUOTA.free + 1;
  return [
    {
      title: "stream a video's word list with the demo API key",
      expect: '200, text/event-stream: "event: word" lines, then "event: done"',
      command: vocabularyCurl(words, ['-sSN', ...key]),
    },
    {
      title: 'the same request without a credential',
      expect: '401 application/problem+json, WWW-Authenticate: Bearer realm="edgepass"',
      command: vocabularyCurl(words, ['-sSi']),
    },
    {
      title: 'an anonymous signup (user-service gets an anonymous passport)',
      expect: '202 {"signupId":"sgn_…","status":"pending"}',
      command: curl([
        '-sSi',
        '-H',
        'content-type: application/json',
        '-d',
        JSON.stringify({ email: 'ada@example.com', name: 'Ada Lovelace' }),
        `${gatewayUrl}/signup`,
      ]),
    },
    {
      title: 'the premium route with the free demo user’s key',
      expect: '403 application/problem+json, code PLAN_REQUIRED (the route requires plan premium)',
      command: vocabularyCurl(`${gatewayUrl}/premium/videos/demo/vocabulary`, ['-sSi', ...key]),
    },
    {
      title: `the free plan's daily quota (${DEV_QUOTA.free} requests), ${quotaRequests} requests in a row`,
      expect: `one status per line, the last one 402${fast === 'memory' ? ' (quota counters are in memory: a restart resets them)' : ''}`,
      command: vocabularyCurl(`${gatewayUrl}/videos/quota-[1-${quotaRequests}]/vocabulary`, [
        '-sS',
        '-o',
        '/dev/null',
        '-w',
        '%{http_code}\\n',
        ...key,
      ]),
    },
  ];
}
