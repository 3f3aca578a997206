import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/** Resolves a host name to every address it has (tests pass their own). */
export type Resolver = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/**
 * Keeps each host's DNS answer for `ttlMs` (deliveries resolve a host once
 * per few seconds, not per attempt); a failed lookup is not kept. The answer
 * is still checked on every attempt by resolveTarget.
 */
export function cachingResolver(
  resolve: Resolver,
  ttlMs: number,
  now: () => number = () => performance.now(),
): Resolver {
  const cache = new Map<string, { at: number; answer: ReturnType<Resolver> }>();
  return (hostname) => {
    const t = now();
    const hit = cache.get(hostname);
    if (hit && t - hit.at < ttlMs) return hit.answer;
    if (cache.size > 1000) cache.clear();
    const answer = resolve(hostname);
    cache.set(hostname, { at: t, answer });
    answer.catch(() => {
      if (cache.get(hostname)?.answer === answer) cache.delete(hostname);
    });
    return answer;
  };
}

/** The delivery target is not allowed (a private address, a bad scheme…): the attempt fails without a request. */
export class TargetRefused extends Error {}

/**
 * Only ordinary public unicast addresses: loopback, private, link-local (cloud
 * metadata 169.254.169.254), carrier-grade NAT, multicast, reserved, unique
 * local IPv6 and the rest are refused. IPv4-mapped IPv6 is judged as the IPv4 it carries.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

/** An address in normal form (IPv4-mapped IPv6 as its IPv4), to compare with the allow-list. */
function normalForm(address: string): string {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.toNormalizedString();
}

/** The URL's host without IPv6 brackets, lower case (the URL parser already turned 0x7f.1 into 127.0.0.1). */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

/** Allow-list entries match the host name as written in the URL or an address (in any notation). */
function allowed(allowList: ReadonlySet<string>, host: string, address: string): boolean {
  if (allowList.has(host)) return true;
  for (const entry of allowList) {
    if (ipaddr.isValid(entry) && normalForm(entry) === normalForm(address)) return true;
  }
  return false;
}

/**
 * Checks a delivery URL on every attempt and answers the one address to
 * connect to (the request is pinned to it, so a second DNS answer cannot
 * swap in a private address). Literal IPs are judged as they are.
 */
export async function resolveTarget(
  url: URL,
  allowList: ReadonlySet<string>,
  resolve: Resolver = systemResolver,
): Promise<{ address: string; family: number }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TargetRefused('only http and https URLs');
  const host = hostOf(url);
  let addresses: { address: string; family: number }[];
  if (ipaddr.isValid(host)) {
    addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
  } else {
    try {
      addresses = await resolve(host);
    } catch (err) {
      throw new TargetRefused(`cannot resolve ${host}: ${(err as Error).message}`);
    }
    if (addresses.length === 0) throw new TargetRefused(`${host} has no address`);
  }
  // Every address must pass: a name with one public and one private address is refused.
  for (const a of addresses) {
    if (!isPublicAddress(a.address) && !allowed(allowList, host, a.address)) {
      throw new TargetRefused(`${host} resolves to ${a.address}, a non-public address (not on the allow-list)`);
    }
  }
  return addresses[0];
}

/** For validating a URL as it is saved: a literal non-public IP not on the allow-list is refused at once. */
export function literalRefusal(url: URL, allowList: ReadonlySet<string>): string | null {
  const host = hostOf(url);
  if (!ipaddr.isValid(host)) return null;
  return isPublicAddress(host) || allowed(allowList, host, host) ? null : `${host} is not a public address`;
}
