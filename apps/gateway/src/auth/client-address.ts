import { isIPv4, isIPv6 } from 'node:net';
import type { Request } from 'express';

/**
 * Who failed attempts are counted against: the client's address as Express computes it (behind
 * a load balancer, set TRUST_PROXY so this is not the balancer's). An IPv6 client counts by its
 * /64, which one host or household usually holds whole: otherwise every address of it would get
 * its own tries. IPv4-mapped IPv6 addresses count as the IPv4 address.
 */
export function clientAddress(req: Request): string {
  return attemptSource(req.ip ?? req.socket.remoteAddress ?? 'unknown');
}

export function attemptSource(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  const bare = address.split('%')[0];
  if (!isIPv6(bare)) return address;
  return `${ipv6Groups(bare).slice(0, 4).join(':')}::/64`;
}

/** The 8 groups of an IPv6 address, `::` expanded, without leading zeros. */
function ipv6Groups(address: string): string[] {
  const width = (part: string) => (part ? part.split(':').reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0) : 0);
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - width(head) - width(tail)).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((g) => (g.includes('.') ? g : parseInt(g, 16).toString(16)));
}
