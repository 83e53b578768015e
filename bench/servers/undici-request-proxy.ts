// undici-request-proxy (extra target, --only): node:http + undici Pool.request + pipe, no auth — the
// streaming API the proxy module did NOT choose, kept to measure that choice against pool.dispatch with a
// handler (edgepass-proxy). PORT, UPSTREAM_URL from the environment.
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Pool } from 'undici';

const port = Number(process.env.PORT);
const pool = new Pool(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:9100', { pipelining: 1 });
const HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function strip(headers: IncomingHttpHeaders, extra: readonly string[] = []): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ...headers };
  for (const name of [...HOP, ...extra]) delete out[name];
  return out;
}

createServer((req, res) => {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  pool
    .request({
      method: (req.method ?? 'GET') as 'GET',
      path: req.url ?? '/',
      headers: strip(req.headers, ['host']),
      body: hasBody ? req : null,
    })
    .then(
      (upstream) => {
        res.writeHead(upstream.statusCode, strip(upstream.headers));
        upstream.body.pipe(res);
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
}).listen(port, '127.0.0.1');
