// node-http-proxy: a bare node:http reverse proxy with a keep-alive http.Agent and no auth — the Node
// proxying floor the gateway is compared with. PORT, UPSTREAM_URL from the environment.
import { Agent, createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';

const port = Number(process.env.PORT);
const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:9100');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

function copy(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP.has(k)) out[k] = v;
  return out;
}

createServer((req, res) => {
  const upstreamRequest = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: copy(req.headers),
      agent,
    },
    (upstreamResponse) => {
      res.writeHead(upstreamResponse.statusCode ?? 502, copy(upstreamResponse.headers));
      upstreamResponse.pipe(res);
    },
  );
  upstreamRequest.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstreamRequest);
}).listen(port, '127.0.0.1');
