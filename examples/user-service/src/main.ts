// Runs the user service alone:
//   PORT=4002 EDGEPASS_PASSPORT_JWKS_URL=http://127.0.0.1:9090/.well-known/passport-jwks.json \
//   EDGEPASS_PASSPORT_ISSUER=edgepass node examples/user-service/src/main.ts
import { SERVICE_NAME, startUserService } from './index.ts';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`${SERVICE_NAME}: ${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(process.env.PORT ?? 4002);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`${SERVICE_NAME}: PORT must be a port number`);
  process.exit(2);
}
const service = await startUserService({
  host: process.env.HOST ?? '127.0.0.1',
  port,
  passport: {
    jwksUrl: required('EDGEPASS_PASSPORT_JWKS_URL'),
    issuer: required('EDGEPASS_PASSPORT_ISSUER'),
    audience: process.env.EDGEPASS_PASSPORT_AUDIENCE || SERVICE_NAME,
  },
});
console.error(`${SERVICE_NAME} listening on ${service.url}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void service.close().then(() => process.exit(0));
  });
}
