// The user service: the signup flow of the original design on Express 5, accepting only passports
// (audience `user-service`). Anyone the gateway lets through — an anonymous visitor too — may ask for a
// signup; only the signup worker (a `service` passport with scope `signup:manage`, i.e. its API key via the
// gateway) may read a signup, activate it (activateUser) or mark it failed (markSignupFailed).
import type { PassportVerifier, PassportVerifierOptions } from '@edgepass/passport';
import { passport, requireKind, requireScope } from '@edgepass/passport/express';
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import { problem, type SignupErrorCode } from './errors.ts';
import { jsonLinesLogger, type Logger, silentLogger } from './logger.ts';
import {
  createSignupStore,
  parseFailure,
  parseSignupRequest,
  type Signup,
  type SignupStore,
  type TransitionResult,
} from './signups.ts';

export const SERVICE_NAME = 'user-service';
export const SIGNUP_MANAGE_SCOPE = 'signup:manage';
const BODY_LIMIT = '16kb';

/** Verifier options without `audience` (it defaults to the service's name), or a ready verifier. */
export type PassportConfig =
  | PassportVerifier
  | (Omit<PassportVerifierOptions, 'audience'> & { audience?: PassportVerifierOptions['audience'] });

export interface UserAppOptions {
  passport: PassportConfig;
  /** pino-compatible; default JSON lines on stdout (nothing when EDGEPASS_LOG_LEVEL=silent) */
  logger?: Logger;
  /** default: an in-memory store */
  signups?: SignupStore;
}

function verifierConfig(config: PassportConfig): PassportVerifier | PassportVerifierOptions {
  return 'verify' in config ? config : { ...config, audience: config.audience ?? SERVICE_NAME };
}

function defaultLogger(): Logger {
  if (process.env.EDGEPASS_LOG_LEVEL === 'silent') return silentLogger;
  return jsonLinesLogger((line) => process.stdout.write(line), { service: SERVICE_NAME });
}

function sendProblem(res: Response, code: SignupErrorCode, extra?: Record<string, unknown>): void {
  const body = problem(code, extra);
  res.status(body.status).set({ 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
  res.send(JSON.stringify(body));
}

function view(signup: Signup) {
  const { id, ...rest } = signup;
  return { signupId: id, ...rest };
}

export function buildUserApp(options: UserAppOptions): Express {
  const log = options.logger ?? defaultLogger();
  const signups = options.signups ?? createSignupStore();
  const app = express();
  app.disable('x-powered-by');

  // one access line per request, naming the caller once the passport is verified (never the passport)
  app.use((req, res, next) => {
    res.on('finish', () => {
      const who = req.identity;
      log.info(
        {
          method: req.method,
          path: req.path,
          status: res.statusCode,
          requestId: req.get('x-request-id'),
          ...(who ? { sub: who.sub, kind: who.kind, via: who.via } : {}),
        },
        'request',
      );
    });
    next();
  });

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: SERVICE_NAME });
  });

  // every route below needs a valid passport for this service; the body is read only after it
  app.use(
    passport({
      verifier: verifierConfig(options.passport),
      onRefused: (error) =>
        log.info({ reason: error.code, status: error.status, claim: error.claim }, 'passport refused'),
    }),
  );
  app.use(express.json({ limit: BODY_LIMIT }));

  const signupWorker = [requireKind('service'), requireScope(SIGNUP_MANAGE_SCOPE)];

  app.post('/signup', (req: Request, res: Response) => {
    const parsed = parseSignupRequest(req.body);
    if (!parsed.ok) {
      sendProblem(res, 'SIGNUP_INVALID_REQUEST', { field: parsed.field });
      return;
    }
    const requestedBy = req.identity?.sub ?? 'unknown';
    const signup = signups.create(parsed.value, requestedBy);
    log.info({ signupId: signup.id, requestedBy, kind: req.identity?.kind }, 'signup requested');
    res.status(202).json({ signupId: signup.id, status: signup.status });
  });

  app.get('/signups/:id', ...signupWorker, (req: Request<{ id: string }>, res: Response) => {
    const signup = signups.get(req.params.id);
    if (signup) res.json(view(signup));
    else sendProblem(res, 'SIGNUP_NOT_FOUND');
  });

  const answer = (res: Response, result: TransitionResult) => {
    if (result.ok) res.json(view(result.signup));
    else if (result.error === 'not_found') sendProblem(res, 'SIGNUP_NOT_FOUND');
    else sendProblem(res, 'SIGNUP_CONFLICT', { signupStatus: result.status });
  };

  // activateUser
  app.post('/signups/:id/activate', ...signupWorker, (req: Request<{ id: string }>, res: Response) => {
    const result = signups.activate(req.params.id, req.identity?.sub ?? 'unknown');
    if (result.ok) log.info({ signupId: result.signup.id, decidedBy: result.signup.decidedBy }, 'signup activated');
    answer(res, result);
  });

  // markSignupFailed
  app.post('/signups/:id/fail', ...signupWorker, (req: Request<{ id: string }>, res: Response) => {
    const reason = parseFailure(req.body);
    if (!reason.ok) {
      sendProblem(res, 'SIGNUP_INVALID_REQUEST', { field: reason.field });
      return;
    }
    const result = signups.fail(req.params.id, req.identity?.sub ?? 'unknown', reason.value);
    if (result.ok) log.info({ signupId: result.signup.id, decidedBy: result.signup.decidedBy }, 'signup failed');
    answer(res, result);
  });

  app.use((_req, res) => sendProblem(res, 'SIGNUP_NOT_FOUND'));

  const onError: ErrorRequestHandler = (error: { type?: string; status?: number }, _req, res, _next) => {
    if (error.type === 'entity.parse.failed') return sendProblem(res, 'SIGNUP_INVALID_REQUEST', { field: 'body' });
    if (error.type === 'entity.too.large') return sendProblem(res, 'SIGNUP_BODY_TOO_LARGE');
    log.error({ err: error }, 'request failed');
    sendProblem(res, 'SIGNUP_INTERNAL');
  };
  app.use(onError);
  return app;
}
