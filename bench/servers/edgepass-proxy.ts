// edgepass-proxy (extra target): edgepass's proxy module alone on node:http — no auth, no Fastify — to show
// what the proxy costs apart from the rest of the gateway. PORT, UPSTREAM_URL from the environment.
import { createServer } from 'node:http';
import { buildUpstreamHeaders, createUpstream, ProxyError } from '../../packages/gateway/src/proxy/index.ts';

const port = Number(process.env.PORT);
const upstream = createUpstream({
  name: 'bench',
  targets: [process.env.UPSTREAM_URL ?? 'http://127.0.0.1:9100'],
  timeoutMs: 30_000,
  connectTimeoutMs: 5000,
});
const remove = new Set<string>();
const set = {};

createServer((req, res) => {
  const headers = buildUpstreamHeaders(req, { remove, set });
  upstream
    .forward(req, res, { method: req.method ?? 'GET', path: req.url ?? '/', headers, requestId: '' })
    .catch((error: unknown) => {
      res.writeHead(error instanceof ProxyError ? error.status : 500);
      res.end();
    });
}).listen(port, '127.0.0.1');
