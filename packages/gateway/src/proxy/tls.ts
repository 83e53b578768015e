// Trust for https:// targets: Node's bundled CAs, the operating system's store and NODE_EXTRA_CA_CERTS, plus any
// CA the upstream's options add. One SecureContext per upstream, shared by every connection (a `ca` option per
// connection would parse the whole bundle on every TLS handshake).
import { createSecureContext, getCACertificates, type SecureContext } from 'node:tls';

let trusted: string[] | undefined;

function defaultTrust(): string[] {
  if (trusted === undefined) {
    const all = new Set<string>();
    for (const kind of ['default', 'system'] as const) {
      try {
        for (const pem of getCACertificates(kind)) all.add(pem);
      } catch {
        // no readable system store on this machine: Node's bundled CAs still apply
      }
    }
    trusted = [...all];
  }
  return trusted;
}

export function upstreamSecureContext(extraCa: readonly string[]): SecureContext {
  return createSecureContext({ ca: [...defaultTrust(), ...extraCa] });
}
