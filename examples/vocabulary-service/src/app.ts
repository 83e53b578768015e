// The vocabulary service: an LLM-style internal service behind the edgepass gateway. It accepts only
// passports (audience `vocabulary-service`), logs who called (sub, kind, plan — never the passport) and
// streams a transcript's word list as server-sent events while it is being produced.
import type { PassportVerifier, PassportVerifierOptions } from '@edgepass/passport';
import { fastifyPassport, optionalIdentity } from '@edgepass/passport/fastify';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { codeForFrameworkError, problem, type VocabularyErrorCode } from './errors.ts';
import { openEventStream } from './sse.ts';
import { analyseTranscript, vocabularyEntries } from './vocabulary.ts';

export const SERVICE_NAME = 'vocabulary-service';
/** Transcript size limit, UTF-8 bytes. */
export const MAX_TRANSCRIPT_BYTES = 200 * 1024;
export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 200;
/** The JSON body may escape characters (`\u00e9`), so the body limit is looser than the transcript limit. */
const BODY_LIMIT_BYTES = 6 * MAX_TRANSCRIPT_BYTES;

/** Verifier options without `audience` (it defaults to the service's name), or a ready verifier. */
export type PassportConfig =
  | PassportVerifier
  | (Omit<PassportVerifierOptions, 'audience'> & { audience?: PassportVerifierOptions['audience'] });

export interface StreamEvent {
  name: 'word' | 'done';
  /** events written so far on this stream, this one included */
  sent: number;
  /** aborted when the client has gone */
  signal: AbortSignal;
}

export interface VocabularyAppOptions {
  passport: PassportConfig;
  /** A logger instance (e.g. a pino child of the host process), or Fastify logger options. */
  logger?: FastifyBaseLogger | FastifyServerOptions['logger'];
  /** Awaited after each SSE event is written: lets a test (or a demo) pace the stream. */
  afterEachEvent?: (event: StreamEvent) => void | Promise<void>;
}

interface VocabularyBody {
  transcript: string;
  language?: 'en';
  limit?: number;
}

interface VideoParams {
  videoId: string;
}

const vocabularySchema = {
  params: {
    type: 'object',
    required: ['videoId'],
    properties: { videoId: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
  },
  body: {
    type: 'object',
    required: ['transcript'],
    additionalProperties: false,
    properties: {
      transcript: { type: 'string', minLength: 1 },
      language: { type: 'string', enum: ['en'] },
      limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
    },
  },
} as const;

function isLoggerInstance(logger: VocabularyAppOptions['logger']): logger is FastifyBaseLogger {
  return typeof logger === 'object' && logger !== null && typeof (logger as FastifyBaseLogger).child === 'function';
}

export function verifierConfig(passport: PassportConfig): PassportVerifier | PassportVerifierOptions {
  return 'verify' in passport ? passport : { ...passport, audience: passport.audience ?? SERVICE_NAME };
}

function sendProblem(reply: FastifyReply, code: VocabularyErrorCode): FastifyReply {
  const body = problem(code);
  return reply.code(body.status).type('application/problem+json').header('cache-control', 'no-store').send(body);
}

export async function buildVocabularyApp(options: VocabularyAppOptions): Promise<FastifyInstance> {
  const { logger } = options;
  const app = Fastify({
    ...(isLoggerInstance(logger)
      ? { loggerInstance: logger }
      : { logger: logger ?? { level: process.env.EDGEPASS_LOG_LEVEL ?? 'info' } }),
    bodyLimit: BODY_LIMIT_BYTES,
    // the gateway's request id, so this service's log lines join the gateway's
    requestIdHeader: 'x-request-id',
    // on close, cut open SSE streams (their work stops through the disconnect signal)
    forceCloseConnections: true,
    // strict bodies: no silent type coercion or stripping of unknown members
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
  });
  app.removeContentTypeParser('text/plain'); // JSON only

  await app.register(fastifyPassport, { verifier: verifierConfig(options.passport), publicRoutes: ['/health'] });

  // Runs after the passport hook: every line logged for the request names the caller.
  app.addHook('onRequest', async (request) => {
    const identity = optionalIdentity(request);
    if (!identity) return;
    request.log = request.log.child({ sub: identity.sub, kind: identity.kind, plan: identity.plan ?? null });
    request.log.info({ method: request.method, route: request.routeOptions.url }, 'passport accepted');
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const code = codeForFrameworkError(error.statusCode);
    if (code === 'VOCABULARY_INTERNAL') request.log.error({ err: error }, 'request failed');
    else request.log.info({ reason: error.code, status: error.statusCode }, 'request refused');
    return sendProblem(reply, code);
  });
  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 'VOCABULARY_NOT_FOUND'));

  app.get('/health', async () => ({ status: 'ok', service: SERVICE_NAME }));

  app.post<{ Params: VideoParams; Body: VocabularyBody }>(
    '/videos/:videoId/vocabulary',
    { schema: vocabularySchema },
    (request, reply) => streamVocabulary(request, reply, false, options.afterEachEvent),
  );

  // Its own path prefix, so the gateway can route it with `require: { plans: [premium] }` and its own quota.
  app.post<{ Params: VideoParams; Body: VocabularyBody }>(
    '/premium/videos/:videoId/vocabulary',
    {
      schema: vocabularySchema,
      // defence in depth: the gateway's route config already limits this route to the premium plan
      preHandler: async (request, reply) => {
        if (request.identity.plan === 'premium') return;
        request.log.info({ reason: 'VOCABULARY_PREMIUM_REQUIRED', status: 403 }, 'request refused');
        return sendProblem(reply, 'VOCABULARY_PREMIUM_REQUIRED');
      },
    },
    (request, reply) => streamVocabulary(request, reply, true, options.afterEachEvent),
  );

  return app;
}

async function streamVocabulary(
  request: FastifyRequest<{ Params: VideoParams; Body: VocabularyBody }>,
  reply: FastifyReply,
  premium: boolean,
  afterEachEvent: VocabularyAppOptions['afterEachEvent'],
): Promise<void> {
  const { videoId } = request.params;
  const { transcript, limit = DEFAULT_LIMIT } = request.body;
  const bytes = Buffer.byteLength(transcript, 'utf8');
  if (bytes > MAX_TRANSCRIPT_BYTES) {
    request.log.info({ reason: 'VOCABULARY_TRANSCRIPT_TOO_LARGE', status: 413, bytes }, 'request refused');
    await sendProblem(reply, 'VOCABULARY_TRANSCRIPT_TOO_LARGE');
    return;
  }

  reply.hijack();
  const stream = openEventStream(reply.raw, { 'x-request-id': request.id });
  const started = performance.now();
  let returned = 0;
  // writes one event, then lets the pacing hook run; false once the client has gone
  const emit = async (name: StreamEvent['name'], data: unknown): Promise<boolean> => {
    if (!(await stream.send(name, data))) return false;
    if (name === 'word') returned++;
    await afterEachEvent?.({ name, sent: stream.sent, signal: stream.signal });
    return !stream.signal.aborted;
  };
  const outcome = (aborted: boolean) => ({
    videoId,
    premium,
    bytes,
    returned,
    aborted,
    ms: Math.round(performance.now() - started),
  });
  try {
    const analysis = await analyseTranscript(transcript, { collocations: premium, signal: stream.signal });
    let open = true;
    for (const entry of vocabularyEntries(analysis, limit)) {
      open = await emit('word', entry);
      if (!open) break;
    }
    // a client that hangs up right after reading `done` did get everything
    if (open) await emit('done', { videoId, ...analysis.totals, returned });
    request.log.info(
      { ...outcome(!open), ...analysis.totals },
      open ? 'vocabulary streamed' : 'vocabulary stream aborted by the client',
    );
  } catch (error) {
    if (stream.signal.aborted) {
      request.log.info(outcome(true), 'vocabulary stream aborted by the client');
    } else {
      request.log.error({ err: error, videoId }, 'vocabulary stream failed');
      await stream.send('error', problem('VOCABULARY_INTERNAL'));
    }
  } finally {
    stream.end();
  }
}
