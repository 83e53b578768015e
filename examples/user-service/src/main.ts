// Runs the user service alone:
//   PORT=4002 EDGEPASS_PASSPORT_JWKS_URL=http://127.0.0.1:9090/.well-known/passport-jwks.json \
//   EDGEPASS_PASSPORT_ISSUER=edgepass node examples/user-service/src/main.ts
// EDGEPASS_PASSPORT_AUDIENCE defaults to the service's name; HOST to 127.0.0.1. Bad configuration: exit 2.
import { verifierOptionsFromEnv } from '@edgepass/passport';
import { SERVICE_NAME, startUserService } from './index.ts';

function configured() {
  const port = Number(process.env.PORT ?? 4002);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TypeError('PORT must be a port number');
  return { host: process.env.HOST ?? '127.0.0.1', port, passport: verifierOptionsFromEnv(process.env, SERVICE_NAME) };
}

let options: ReturnType<typeof configured>;
try {
  options = configured();
} catch (err) {
  console.error(`${SERVICE_NAME}: ${(err as Error).message}`);
  process.exit(2);
}
const service = await startUserService(options);
console.error(`${SERVICE_NAME} listening on ${service.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void service.close().then(() => process.exit(0)));
}
