// fastify-stack: fastify 5 + @fastify/jwt (fast-jwt) with get-jwks, proxied by @fastify/http-proxy (undici) —
// the typical Node stack, wired as get-jwks' README shows. No verified-token cache (fast-jwt's `cache` is off by
// default), so every request pays a signature verification. PORT, UPSTREAM_URL, JWT_* from the environment.
import proxy from '@fastify/http-proxy';
import fjwt from '@fastify/jwt';
import Fastify from 'fastify';
import buildGetJwks from 'get-jwks';

const { PORT, UPSTREAM_URL, JWT_ISSUER, JWT_AUDIENCE } = process.env;

const app = Fastify({ logger: false });
// JWKS fetched once and cached (get-jwks LRU; TTL raised from the 60 s default to 10 min)
const getJwks = buildGetJwks({ max: 100, ttl: 10 * 60 * 1000, providerDiscovery: false });

await app.register(fjwt, {
  decode: { complete: true },
  // the JWKS lives on the upstream, not at the issuer URL, so the domain is fixed here
  secret: (_request, token) =>
    getJwks.getPublicKey({ kid: token.header.kid, alg: token.header.alg, domain: UPSTREAM_URL }),
  verify: { algorithms: ['RS256', 'ES256'], allowedIss: JWT_ISSUER, allowedAud: JWT_AUDIENCE, requiredClaims: ['exp'] },
});

app.addHook('onRequest', async (request, reply) => {
  try {
    await request.jwtVerify();
  } catch {
    return reply.code(401).send({ error: 'unauthorized' });
  }
});

await app.register(proxy, {
  upstream: UPSTREAM_URL,
  undici: { connections: 128, pipelining: 1 },
  replyOptions: {
    rewriteRequestHeaders: (request, headers) => ({ ...headers, 'x-user-sub': String(request.user.sub) }),
  },
});

await app.listen({ port: Number(PORT), host: '127.0.0.1' });
