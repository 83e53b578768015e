// fast-gateway: fast-gateway 5 (restana router + fast-proxy-lite over a keep-alive http.Agent) with a jose
// middleware (createRemoteJWKSet + jwtVerify). PORT, UPSTREAM_URL, JWKS_URL, JWT_* from the environment.
import gateway from 'fast-gateway';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const { PORT, UPSTREAM_URL, JWKS_URL, JWT_ISSUER, JWT_AUDIENCE } = process.env;

// JWKS fetched once and cached (jose imports each JWK once and keeps the CryptoKey)
const JWKS = createRemoteJWKSet(new URL(JWKS_URL), { cacheMaxAge: 10 * 60 * 1000, cooldownDuration: 30 * 1000 });
const verifyOptions = {
  issuer: JWT_ISSUER,
  audience: JWT_AUDIENCE,
  algorithms: ['RS256', 'ES256'],
  requiredClaims: ['exp'],
};
const UNAUTHORIZED = JSON.stringify({ error: 'unauthorized' });

function deny(res) {
  res.statusCode = 401;
  res.setHeader('content-type', 'application/json');
  res.end(UNAUTHORIZED);
}

function auth(req, res, next) {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || !h.startsWith('Bearer ')) return deny(res);
  jwtVerify(h.slice(7), JWKS, verifyOptions).then(
    ({ payload }) => {
      req.user = payload;
      next();
    },
    () => deny(res),
  );
}

const server = gateway({
  enableServicesEndpoint: false,
  middlewares: [auth],
  routes: [
    {
      prefix: '',
      target: UPSTREAM_URL,
      hooks: {
        rewriteRequestHeaders: (req, headers) => {
          headers['x-user-sub'] = String(req.user.sub);
          return headers;
        },
      },
    },
  ],
});

await server.start(Number(PORT), '127.0.0.1');
