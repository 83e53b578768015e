// Everything `edgepass dev` runs, in one process on one store: the login demo, the auth service, the demo
// seed, the two example services and the gateway in front of all of them. Started in dependency order (the
// gateway needs the auth service's JWKS and the services' addresses; the services need the gateway's
// passport JWKS, which they fetch lazily), stopped in reverse. The gateway is the one public entry: the auth
// service's issuer is the gateway's URL (known before anything starts), and the auth service listens on
// loopback behind it.
import { type AuthService, startAuthService } from '@edgepass/auth';
import { startUserService, SERVICE_NAME as USER_SERVICE } from '@edgepass/example-user-service';
import { startVocabularyService, SERVICE_NAME as VOCABULARY_SERVICE } from '@edgepass/example-vocabulary-service';
import { PASSPORT_JWKS_PATH, type RunningGateway, startGateway } from '@edgepass/gateway';
import { createPassportVerifier, PassportError, type PassportVerifier } from '@edgepass/passport';
import { ensureDevMasterKey, loadMasterKey, openStore, type Store, storeOptionsFromEnv } from '@edgepass/store';
import type { Logger } from 'pino';
import { DEMO_CLIENT_ID, DEV_GATEWAY_ID, devAuthConfig, devGatewayConfig } from './configs.ts';
import type { DevCredentials } from './credentials.ts';
import { type RunningDemoClient, startDemoClient } from './demo-client.ts';
import { baseUrl, type DevComponent, type DevOptions } from './options.ts';
import { checkPortsFree, freePort, portError } from './ports.ts';
import { seedDemo } from './seed.ts';

export interface DevUrls {
  readonly gateway: string;
  readonly admin: string;
  /** the issuer: the auth service's public paths through the gateway */
  readonly auth: string;
  /** where the auth service itself listens (loopback, behind the gateway) */
  readonly authDirect: string;
  readonly login: string;
  readonly vocabulary: string;
  readonly users: string;
}

export interface RunningDevSystem {
  readonly urls: DevUrls;
  readonly credentials: DevCredentials;
  readonly storage: { readonly sql: 'pglite' | 'postgres'; readonly fast: 'memory' | 'redis' };
  readonly gateway: RunningGateway;
  readonly auth: AuthService;
  close(): Promise<void>;
}

interface Closable {
  readonly url: string;
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;
const LOOPBACK = '127.0.0.1';

/** A verifier whose real implementation arrives once the gateway (its passport JWKS) is up. */
function deferredVerifier(): PassportVerifier & { resolve(verifier: PassportVerifier): void } {
  let inner: PassportVerifier | undefined;
  return {
    resolve(verifier) {
      inner = verifier;
    },
    verify(token) {
      if (inner) return inner.verify(token);
      return Promise.reject(new PassportError('PASSPORT_KEYS_UNAVAILABLE', 'the gateway is not up yet'));
    },
  };
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function startDevSystem(
  options: DevOptions,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<RunningDevSystem> {
  const { host, ports, dataDir } = options;
  const hostOf = (c: DevComponent) => (c === 'gateway' || c === 'demo' ? host : LOOPBACK);
  const listening = async <T>(component: DevComponent, start: () => Promise<T>): Promise<T> => {
    try {
      return await start();
    } catch (err) {
      throw portError(err, component, ports[component], hostOf(component));
    }
  };
  await checkPortsFree(ports, hostOf);
  // the issuer names the gateway, so its port must be known before the auth service starts
  const gatewayPort = ports.gateway === 0 ? await freePort(host) : ports.gateway;
  const issuer = baseUrl(host, gatewayPort);
  const masterKey = env.EDGEPASS_MASTER_KEY?.trim() ? loadMasterKey(env) : ensureDevMasterKey(dataDir);

  const stops: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => logger.warn({ err }, 'shutdown step failed'));
    }
  };
  try {
    const store: Store = await openStore(storeOptionsFromEnv({ ...env, EDGEPASS_DATA_DIR: dataDir }));
    stops.push(() => store.close());

    let gatewayUrl = '';
    const demo: RunningDemoClient = await listening('demo', () =>
      startDemoClient({
        host,
        port: ports.demo,
        clientId: DEMO_CLIENT_ID,
        logger: logger.child({ component: 'login-demo' }),
        authIssuer: () => issuer,
        gatewayUrl: () => gatewayUrl,
      }),
    );
    stops.push(() => demo.close());

    const authConfig = devAuthConfig({
      issuer,
      host: LOOPBACK,
      port: ports.auth,
      demoCallback: demo.callbackUrl,
      demoHome: `${demo.url}/`,
      logLevel: options.logLevel,
    });
    // the auth service starts while the demo data is checked; whichever fails, what started is stopped
    const [authStarted, seedDone] = await Promise.allSettled([
      listening('auth', () =>
        startAuthService({ config: authConfig, store, masterKey, env, logger: logger.child({ component: 'auth' }) }),
      ),
      seedDemo({ store, dataDir, logger: logger.child({ component: 'seed' }) }),
    ]);
    if (authStarted.status === 'fulfilled') stops.push(() => authStarted.value.close());
    if (authStarted.status === 'rejected') throw authStarted.reason;
    if (seedDone.status === 'rejected') throw seedDone.reason;
    const auth = authStarted.value;
    const seeded = seedDone.value;
    const authAddress = auth.app.server.address();
    const authDirect = baseUrl(
      LOOPBACK,
      typeof authAddress === 'object' && authAddress ? authAddress.port : ports.auth,
    );

    // each example service on loopback, verifying passports with the gateway's JWKS once the gateway is up
    const service = async (
      component: 'vocabulary' | 'users',
      start: (o: { host: string; port: number; passport: PassportVerifier; logger: Logger }) => Promise<Closable>,
    ) => {
      const passport = deferredVerifier();
      const running = await listening(component, () =>
        start({ host: LOOPBACK, port: ports[component], passport, logger: logger.child({ component }) }),
      );
      stops.push(() => running.close());
      return { url: running.url, passport };
    };
    const vocabulary = await service('vocabulary', startVocabularyService);
    const users = await service('users', startUserService);

    const gateway = await startGateway({
      config: devGatewayConfig({
        host,
        port: gatewayPort,
        adminPort: ports.admin,
        authIssuer: issuer,
        authUrl: authDirect,
        vocabularyUrl: vocabulary.url,
        userServiceUrl: users.url,
        logLevel: options.logLevel,
      }),
      store,
      masterKey,
      env,
      logger: logger.child({ component: 'gateway' }),
    }).catch((err: unknown) => {
      const port = (err as { port?: unknown }).port;
      throw portError(err, port === ports.admin ? 'admin' : 'gateway', Number(port), host);
    });
    stops.push(() => gateway.close());
    gatewayUrl = gateway.publicUrl;
    const admin = gateway.adminUrl ?? baseUrl(LOOPBACK, ports.admin);
    const jwksUrl = `${admin}${PASSPORT_JWKS_PATH}`;
    vocabulary.passport.resolve(
      createPassportVerifier({ issuer: DEV_GATEWAY_ID, audience: VOCABULARY_SERVICE, jwksUrl }),
    );
    users.passport.resolve(createPassportVerifier({ issuer: DEV_GATEWAY_ID, audience: USER_SERVICE, jwksUrl }));
    await waitUntil(gateway.ready, READY_TIMEOUT_MS, 'the gateway did not become ready (auth service keys)');

    return {
      urls: {
        gateway: gatewayUrl,
        admin,
        auth: issuer,
        authDirect,
        login: `${demo.url}/`,
        vocabulary: vocabulary.url,
        users: users.url,
      },
      credentials: seeded.credentials,
      storage: { sql: store.sql.kind, fast: store.fast.kind },
      gateway,
      auth,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
