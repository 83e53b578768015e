// The vocabulary service over real HTTP on 127.0.0.1:0, with passports from @edgepass/passport/testing.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { createTestPassportIssuer, type TestPassportIssuer } from '@edgepass/passport/testing';
import { MAX_TRANSCRIPT_BYTES, type StartOptions, type StreamEvent, startVocabularyService } from '../src/index.ts';
import { readSse, type SseEvent } from './sse-client.ts';
import { KNOWN_FIRST_ENTRY, KNOWN_TRANSCRIPT } from './transcripts.ts';

const NOW = new Date('2025-06-01T12:00:00Z');
const now = () => NOW;
const ISSUER = 'gw-test';

interface LogLine {
  msg: string;
  level: number;
  [key: string]: unknown;
}

interface Harness {
  url: string;
  logs: LogLine[];
  close(): Promise<void>;
}

async function start(issuer: TestPassportIssuer, extra: Partial<StartOptions> = {}): Promise<Harness> {
  const logs: LogLine[] = [];
  // audience left out on purpose: the service's own name is the default
  const { audience: _audience, ...verifierOptions } = issuer.verifierOptions('unused');
  const service = await startVocabularyService({
    passport: { ...verifierOptions, now },
    logger: { level: 'info', stream: { write: (line: string) => logs.push(JSON.parse(line)) } },
    ...extra,
  });
  return { url: service.url, logs, close: () => service.close() };
}

function post(url: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { 'x-passport': token } : {}), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function collect(res: Response): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  for await (const event of readSse(res)) events.push(event);
  return events;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Rejects when `promise` has not settled within `ms`: a buffered stream fails the test instead of hanging it. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not arrive within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function assertProblem(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  assert.equal(res.status, status);
  assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  return body;
}

describe('vocabulary-service', () => {
  let issuer: TestPassportIssuer;
  let service: Harness;
  const passport = (overrides: Parameters<TestPassportIssuer['mint']>[0] = {}) =>
    issuer.mint({ audience: 'vocabulary-service', sub: 'user-42', plan: 'free', now, ...overrides });

  before(async () => {
    issuer = await createTestPassportIssuer({ issuer: ISSUER });
    service = await start(issuer);
  });
  after(() => service.close());

  it('GET /health is public', async () => {
    const res = await fetch(`${service.url}/health`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok', service: 'vocabulary-service' });
  });

  it('streams the word list of a known transcript as SSE, then the totals', async () => {
    const res = await post(`${service.url}/videos/vid_1/vocabulary`, await passport(), {
      transcript: KNOWN_TRANSCRIPT,
      language: 'en',
      limit: 4,
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache, no-transform');
    const events = await collect(res);
    assert.deepEqual(
      events.map((e) => e.event),
      ['word', 'word', 'word', 'word', 'done'],
    );
    assert.deepEqual(events[0].data, KNOWN_FIRST_ENTRY);
    assert.deepEqual(
      events.slice(0, 4).map((e) => {
        const { word, count, rank } = e.data as { word: string; count: number; rank: number };
        return [word, count, rank];
      }),
      [
        ['machine', 3, 1],
        ['learning', 3, 2],
        ['models', 2, 3],
        ['fun', 2, 4],
      ],
    );
    assert.deepEqual(events[4].data, { videoId: 'vid_1', words: 33, counted: 19, unique: 13, returned: 4 });
  });

  it('defaults to 25 words, and returns fewer when the transcript has fewer', async () => {
    const thirty = Array.from(
      { length: 30 },
      (_, i) => `term${String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26))}`,
    );
    const many = await collect(
      await post(`${service.url}/videos/v/vocabulary`, await passport(), { transcript: thirty.join(' ') }),
    );
    assert.deepEqual(
      many.filter((e) => e.event === 'word').map((e) => (e.data as { word: string }).word),
      thirty.slice(0, 25),
    );
    const few = await collect(
      await post(`${service.url}/videos/v/vocabulary`, await passport(), { transcript: KNOWN_TRANSCRIPT }),
    );
    assert.equal(few.filter((e) => e.event === 'word').length, 13);
    assert.deepEqual(few.at(-1), {
      event: 'done',
      data: { videoId: 'v', words: 33, counted: 19, unique: 13, returned: 13 },
    });
  });

  it('logs who called (sub, plan) on every line of the request, never the passport', async () => {
    const token = await passport({ sub: 'user-logged', plan: 'free' });
    await collect(await post(`${service.url}/videos/logvid/vocabulary`, token, { transcript: 'hello world' }));
    const streamed = await waitFor('the stream log line', () =>
      service.logs.find((l) => l.msg === 'vocabulary streamed' && l.videoId === 'logvid'),
    );
    assert.equal(streamed.sub, 'user-logged');
    assert.equal(streamed.plan, 'free');
    assert.equal(streamed.kind, 'user');
    assert.equal(streamed.returned, 2);
    const accepted = service.logs.find((l) => l.msg === 'passport accepted' && l.sub === 'user-logged');
    assert.equal(accepted?.route, '/videos/:videoId/vocabulary');
    const all = JSON.stringify(service.logs);
    assert.equal(all.includes(token), false);
    assert.equal(all.includes(token.split('.')[2]), false, 'not even the signature is logged');
  });

  describe('the premium route', () => {
    it('refuses a free-plan passport with 403 problem+json', async () => {
      const res = await post(`${service.url}/premium/videos/v/vocabulary`, await passport({ plan: 'free' }), {
        transcript: KNOWN_TRANSCRIPT,
      });
      await assertProblem(res, 403, 'VOCABULARY_PREMIUM_REQUIRED');
    });

    it('refuses a passport without a plan (a service key, an anonymous visitor)', async () => {
      const service_ = await passport({ kind: 'service', via: 'api_key', plan: undefined, src: 'key:k1' });
      const anonymous = await passport({ kind: 'anonymous', via: 'anonymous', plan: undefined, src: 'anonymous' });
      for (const token of [service_, anonymous]) {
        const res = await post(`${service.url}/premium/videos/v/vocabulary`, token, { transcript: 'x y' });
        await assertProblem(res, 403, 'VOCABULARY_PREMIUM_REQUIRED');
      }
    });

    it('streams words with their collocations for a premium passport', async () => {
      const res = await post(`${service.url}/premium/videos/v/vocabulary`, await passport({ plan: 'premium' }), {
        transcript: KNOWN_TRANSCRIPT,
        limit: 3,
      });
      assert.equal(res.status, 200);
      const events = await collect(res);
      assert.deepEqual(events[0].data, {
        ...KNOWN_FIRST_ENTRY,
        collocations: [{ phrase: 'machine learning', count: 3 }],
      });
      assert.deepEqual((events[2].data as { collocations: unknown }).collocations, []);
      assert.equal(events.at(-1)?.event, 'done');
    });
  });

  describe('refuses every request without a valid passport for vocabulary-service', () => {
    const endpoints = [
      ['POST', '/videos/v/vocabulary'],
      ['POST', '/premium/videos/v/vocabulary'],
      ['GET', '/videos/v/vocabulary'],
      ['GET', '/nowhere'],
    ] as const;
    const badPassports: [string, () => Promise<string>][] = [
      ['expired', () => passport({ now: () => new Date(NOW.getTime() - 3_600_000) })],
      ['for another service', () => passport({ audience: 'user-service' })],
      ['from another issuer', () => passport({ issuer: 'evil-gateway' })],
      [
        'signed by an unknown key',
        async () => (await createTestPassportIssuer({ issuer: ISSUER })).mint({ audience: 'vocabulary-service', now }),
      ],
      [
        'with a tampered payload',
        async () => {
          const [h, p, s] = (await passport()).split('.');
          const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
          return [h, Buffer.from(JSON.stringify({ ...claims, plan: 'premium' })).toString('base64url'), s].join('.');
        },
      ],
      ['garbage', async () => 'not.a.passport'],
    ];

    for (const [method, path] of endpoints) {
      it(`${method} ${path}: no passport → 401 PASSPORT_MISSING`, async () => {
        const res = await fetch(`${service.url}${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          ...(method === 'POST' ? { body: JSON.stringify({ transcript: 'a b' }) } : {}),
        });
        await assertProblem(res, 401, 'PASSPORT_MISSING');
        assert.equal(res.headers.get('www-authenticate'), 'Passport error="invalid_passport"');
      });
    }

    for (const [name, make] of badPassports) {
      it(`a passport ${name} → 401 PASSPORT_INVALID on every endpoint, reason only in the log`, async () => {
        const token = await make();
        for (const [method, path] of endpoints) {
          const res = await fetch(`${service.url}${path}`, {
            method,
            headers: { 'content-type': 'application/json', 'x-passport': token },
            ...(method === 'POST' ? { body: JSON.stringify({ transcript: 'a b' }) } : {}),
          });
          const body = await assertProblem(res, 401, 'PASSPORT_INVALID');
          assert.equal(JSON.stringify(body).includes(token), false);
        }
        assert.equal(JSON.stringify(service.logs).includes(token), false);
      });
    }

    it('the log names the precise reason of a refusal', async () => {
      await post(`${service.url}/videos/v/vocabulary`, await passport({ audience: 'user-service', sub: 'x' }), {});
      const refusal = await waitFor('the refusal line', () =>
        service.logs.find((l) => l.msg === 'passport refused' && l.reason === 'PASSPORT_WRONG_AUDIENCE'),
      );
      assert.equal(refusal.status, 401);
    });
  });

  describe('request validation', () => {
    it('answers a valid passport with an unknown route with 404 problem+json', async () => {
      await assertProblem(
        await fetch(`${service.url}/nowhere`, { headers: { 'x-passport': await passport() } }),
        404,
        'VOCABULARY_NOT_FOUND',
      );
    });

    it('refuses bad bodies with 400', async () => {
      const token = await passport();
      const bodies = [
        {},
        { transcript: '' },
        { transcript: 42 },
        { transcript: 'a', language: 'fr' },
        { transcript: 'a', limit: 0 },
        { transcript: 'a', limit: 201 },
        { transcript: 'a', limit: 2.5 },
        { transcript: 'a', extra: true },
        '{"transcript": ',
      ];
      for (const body of bodies) {
        await assertProblem(
          await post(`${service.url}/videos/v/vocabulary`, token, body),
          400,
          'VOCABULARY_INVALID_REQUEST',
        );
      }
      const badId = await post(`${service.url}/videos/${'x'.repeat(65)}/vocabulary`, token, { transcript: 'a' });
      await assertProblem(badId, 400, 'VOCABULARY_INVALID_REQUEST');
    });

    it('refuses a transcript over 200 KB with 413, counting UTF-8 bytes', async () => {
      const token = await passport();
      // 'é' is 2 bytes: 110 000 characters are 220 000 bytes
      const res = await post(`${service.url}/videos/v/vocabulary`, token, { transcript: 'é'.repeat(110_000) });
      await assertProblem(res, 413, 'VOCABULARY_TRANSCRIPT_TOO_LARGE');
      const atLimit = await post(`${service.url}/videos/v/vocabulary`, token, {
        transcript: 'word '.repeat(MAX_TRANSCRIPT_BYTES / 5),
        limit: 1,
      });
      assert.equal(atLimit.status, 200);
      const events = await collect(atLimit);
      const { example, ...first } = events[0].data as { example: string };
      assert.deepEqual(first, { word: 'word', count: 40_960, rank: 1, firstSeenAt: 0 });
      assert.match(example, /^(?:word )+word…$/, 'a window of the one long sentence, cut between words');
      assert.ok(example.length <= 201, `${example.length}`);
    });

    it('refuses a body that is not JSON with 415', async () => {
      const res = await post(`${service.url}/videos/v/vocabulary`, await passport(), 'transcript', {
        'content-type': 'text/plain',
      });
      await assertProblem(res, 415, 'VOCABULARY_UNSUPPORTED_MEDIA_TYPE');
    });
  });
});

describe('vocabulary-service streaming', () => {
  let issuer: TestPassportIssuer;
  before(async () => {
    issuer = await createTestPassportIssuer({ issuer: ISSUER });
  });

  it('flushes each event as it is written: the client reads the first word while the rest is held back', async () => {
    const written: string[] = [];
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const service = await start(issuer, {
      afterEachEvent: async ({ name, sent }: StreamEvent) => {
        written.push(name);
        if (sent === 1) await held; // nothing after the first event is produced until the test says so
      },
    });
    try {
      const res = await post(
        `${service.url}/videos/v/vocabulary`,
        await issuer.mint({ audience: 'vocabulary-service', now }),
        {
          transcript: KNOWN_TRANSCRIPT,
          limit: 3,
        },
      );
      const events = readSse(res);
      const first = await within(5000, 'the first event', events.next());
      assert.equal(first.done, false);
      assert.equal((first.value.data as { word: string }).word, 'machine');
      assert.deepEqual(written, ['word'], 'the client has the first event while the server holds the second');
      release();
      const rest: SseEvent[] = [];
      for await (const event of events) rest.push(event);
      assert.deepEqual(
        rest.map((e) => e.event),
        ['word', 'word', 'done'],
      );
      assert.deepEqual(written, ['word', 'word', 'word', 'done']);
    } finally {
      release();
      await service.close();
    }
  });

  it('stops producing words when the client disconnects', async () => {
    const service = await start(issuer, {
      afterEachEvent: async ({ sent, signal }: StreamEvent) => {
        if (sent === 1 && !signal.aborted) await once(signal, 'abort'); // hold until the client has gone
      },
    });
    try {
      const controller = new AbortController();
      const res = await fetch(`${service.url}/videos/gone/vocabulary`, {
        method: 'POST',
        signal: controller.signal,
        headers: {
          'content-type': 'application/json',
          'x-passport': await issuer.mint({ audience: 'vocabulary-service', now }),
        },
        body: JSON.stringify({ transcript: KNOWN_TRANSCRIPT, limit: 10 }),
      });
      const first = await within(5000, 'the first event', readSse(res).next());
      assert.equal(first.value?.event, 'word');
      controller.abort();
      const line = await waitFor('the abort log line', () =>
        service.logs.find((l) => l.msg === 'vocabulary stream aborted by the client'),
      );
      assert.equal(line.returned, 1, 'one of ten words was written, then the work stopped');
      assert.equal(line.aborted, true);
      assert.equal(line.videoId, 'gone');
      assert.equal(
        service.logs.some((l) => l.msg === 'vocabulary streamed'),
        false,
      );
    } finally {
      await service.close();
    }
  });

  it('close() ends the open streams', async () => {
    const service = await start(issuer, {
      afterEachEvent: async ({ signal }: StreamEvent) => {
        if (!signal.aborted) await once(signal, 'abort');
      },
    });
    const res = await post(
      `${service.url}/videos/v/vocabulary`,
      await issuer.mint({ audience: 'vocabulary-service', now }),
      {
        transcript: KNOWN_TRANSCRIPT,
      },
    );
    const events = readSse(res);
    assert.equal((await events.next()).value?.event, 'word');
    await service.close();
    await assert.rejects(async () => {
      for await (const _ of events) {
        // drain until the cut connection ends the body
      }
    });
    await waitFor('the abort log line', () =>
      service.logs.find((l) => l.msg === 'vocabulary stream aborted by the client'),
    );
  });
});
