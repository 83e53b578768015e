// Who the client is, by address: the TCP peer, unless the peer is a load balancer listed in
// `listen.public.trustedProxies`. Then X-Forwarded-For is walked from the right (each trusted proxy
// appends the address it saw) and the first address that is not itself a trusted proxy is the client.
// Everything left of it was written by the client and is never believed.
import { BlockList, isIP } from 'node:net';

export interface AddressRange {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a full-length prefix); undefined when not one of these. */
export function parseAddressRange(text: string): AddressRange | undefined {
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const bits = version === 4 ? 32 : 128;
  if (slash === -1) return { address, prefix: bits, family };
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  return { address, prefix: Number(prefixText), family };
}

export class TrustedProxies {
  readonly #ranges = new BlockList();

  /** undefined for an empty list: then no forwarded header is ever believed. */
  static from(ranges: readonly string[]): TrustedProxies | undefined {
    return ranges.length === 0 ? undefined : new TrustedProxies(ranges);
  }

  constructor(ranges: readonly string[]) {
    for (const text of ranges) {
      const range = parseAddressRange(text);
      if (range === undefined) throw new TypeError(`not an IP address or CIDR range: ${text}`);
      this.#ranges.addSubnet(range.address, range.prefix, range.family);
    }
  }

  /** Whether an address (IPv4, IPv6 or IPv4-mapped IPv6) is in one of the ranges. */
  trusts(address: string): boolean {
    const version = isIP(address);
    return version !== 0 && this.#ranges.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The client's address for a request whose peer is trusted: the right-most X-Forwarded-For entry that is
   * not a trusted proxy. An entry that is not an IP address (`unknown`, `host:port`) ends the walk: the last
   * address reached (a trusted proxy) is then the client.
   */
  clientAddress(peer: string, forwardedFor: string | string[] | undefined): string {
    if (forwardedFor === undefined) return peer;
    const chain = typeof forwardedFor === 'string' ? forwardedFor : forwardedFor.join(',');
    let client = peer;
    let end = chain.length;
    while (end > 0) {
      const comma = chain.lastIndexOf(',', end - 1);
      const hop = chain.slice(comma + 1, end).trim();
      end = comma;
      if (hop === '') continue;
      if (isIP(hop) === 0) break;
      client = hop;
      if (!this.trusts(hop)) break;
    }
    return client;
  }
}
