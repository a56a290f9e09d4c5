import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Which callback addresses are allowed. In production only public unicast
 * addresses are; locally loopback is allowed too, so a subscriber on
 * 127.0.0.1 works in the course's local flow. Private, link-local,
 * unique-local, carrier-grade NAT, metadata and every other special range
 * stay refused in both modes.
 */
export interface AddressPolicy {
  allowLoopback: boolean;
}

/** The policy for a run: `production` is `config.production`. */
export function addressPolicy(production: boolean): AddressPolicy {
  return { allowLoopback: !production };
}

/** Resolves a host name to every address it has (dns.lookup, all: true). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (err, addresses) =>
      err ? reject(err) : resolve(addresses),
    );
  });

/** Names that reach the cloud metadata server without a special address. */
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.google.internal.',
  'metadata',
]);

/** A callback URL or address the policy refuses; the message is safe to show. */
export class UnsafeUrlError extends Error {
  override name = 'UnsafeUrlError';
}

/**
 * Parses a callback URL: absolute, `http:` or `https:`, with a host and
 * without user info (credentials in a URL end up in logs and listings).
 */
export function parseCallbackUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UnsafeUrlError('must be an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsafeUrlError('must use http or https');
  }
  if (url.username || url.password) {
    throw new UnsafeUrlError('must not carry a user name or password');
  }
  return url;
}

/**
 * Refuses an address outside the policy. `process` turns an IPv4-mapped
 * IPv6 address (`::ffff:127.0.0.1`) into its IPv4 form first, so a mapped
 * address is judged by the IPv4 ranges.
 */
export function checkAddress(address: string, policy: AddressPolicy): void {
  if (!ipaddr.isValid(address)) {
    throw new UnsafeUrlError(`${address} is not an IP address`);
  }
  const parsed = ipaddr.process(address);
  // An IPv4-compatible IPv6 address (`::127.0.0.1`, deprecated by RFC 4291)
  // reaches the IPv4 host on some stacks; ipaddr.js calls it unicast.
  if (parsed.kind() === 'ipv6' && isIpv4Compatible(parsed as ipaddr.IPv6)) {
    throw new UnsafeUrlError(`is an IPv4-compatible address (${address})`);
  }
  const range = parsed.range();
  if (range === 'unicast') return;
  if (range === 'loopback' && policy.allowLoopback) return;
  throw new UnsafeUrlError(`resolves to a ${range} address (${address})`);
}

/** `::a.b.c.d` (the first 96 bits zero), but not `::` or `::1`. */
function isIpv4Compatible(address: ipaddr.IPv6): boolean {
  const parts = address.parts;
  return (
    parts.slice(0, 6).every((p) => p === 0) &&
    ((parts[6] ?? 0) !== 0 || (parts[7] ?? 0) > 1)
  );
}

/** The URL's host, lower-case, without the brackets of an IPv6 literal. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
}

/**
 * The addresses of a host, each checked against the policy: a literal
 * address directly, a name through `resolve`. Refused when any address is
 * outside the policy, so a name with one public and one private address
 * cannot be used to reach the private one.
 */
async function resolveChecked(
  host: string,
  policy: AddressPolicy,
  resolve: Resolve,
): Promise<LookupAddress[]> {
  if (METADATA_NAMES.has(host)) {
    throw new UnsafeUrlError('must not target the metadata server');
  }
  const family = isIP(host);
  if (family !== 0) {
    checkAddress(host, policy);
    return [{ address: host, family }];
  }
  let addresses: LookupAddress[] = [];
  try {
    addresses = await resolve(host);
  } catch {
    // Reported below as not resolving; the resolver's message adds nothing.
  }
  if (addresses.length === 0) {
    throw new UnsafeUrlError(`host ${host} does not resolve`);
  }
  for (const { address } of addresses) checkAddress(address, policy);
  return addresses;
}

/** Checks a callback URL's host and every address it resolves to. */
export async function checkCallbackHost(
  url: URL,
  policy: AddressPolicy,
  resolve: Resolve,
): Promise<void> {
  await resolveChecked(bareHost(url), policy, resolve);
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for `http.request` that checks every address of the name as
 * the socket connects. Checking there, not before, leaves no window for a
 * DNS answer that changes between the check and the connection. Node skips
 * `lookup` for literal addresses: `checkCallbackHost` covers those.
 */
export function guardedLookup(policy: AddressPolicy, resolve: Resolve) {
  return (
    hostname: string,
    options: { all?: boolean },
    callback: LookupCallback,
  ): void => {
    resolveChecked(hostname.toLowerCase(), policy, resolve).then(
      (addresses) => {
        const [first] = addresses;
        if (options.all || !first) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}
