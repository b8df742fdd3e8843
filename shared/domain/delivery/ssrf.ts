// SSRF guard for outbound targets: deliveries go to public addresses only, unless a TargetPolicy
// admits more: `allowPrivate` (HOOKLAKE_ALLOW_PRIVATE_TARGETS) the private ranges only, and
// `allowLoopback` loopback, which only the local stack sets (through its config object, never the
// environment), so a deployment can never reach its own host. Link-local, unspecified, metadata
// and everything else non-public are refused whatever the policy. The URL is checked here; a hostname is resolved
// by the caller and every address it resolves to goes through `checkResolvedAddresses` — and the
// caller must then connect to one of those vetted addresses (pin it), or DNS rebinding between the
// check and the connection would bypass the rule.
import ipaddr from 'ipaddr.js';

export type AddressReason =
  | 'invalid'
  | 'unspecified' // 0.0.0.0/8, ::
  | 'loopback' // 127/8, ::1
  | 'private' // 10/8, 172.16/12, 192.168/16
  | 'carrier_grade_nat' // 100.64/10
  | 'link_local' // 169.254/16, fe80::/10
  | 'cloud_metadata' // 169.254.169.254, fd00:ec2::254 (AWS), 100.100.100.200 (Alibaba)
  | 'unique_local' // fc00::/7
  | 'site_local' // fec0::/10 (deprecated)
  | 'multicast' // 224/4, ff00::/8
  | 'broadcast' // 255.255.255.255
  | 'reserved' // documentation, benchmarking, 240/4, Teredo, non-global IPv6 space, ...
  | 'ipv4_mapped_private' // ::ffff:a.b.c.d (and the RFC 6145 / IPv4-compatible forms) of a non-public IPv4
  | 'nat64_private' // 64:ff9b::a.b.c.d of a non-public IPv4, and local-use 64:ff9b:1::/48
  | '6to4_private'; // 2002:aabb:ccdd:: where aa.bb.cc.dd is not public

export type AddressClass = 'public' | AddressReason;

type Rule = [range: [ipaddr.IPv4 | ipaddr.IPv6, number], reason: AddressReason | 'embedded'];

const rules = (list: Array<[cidr: string, reason: AddressReason | 'embedded']>): Rule[] =>
  list.map(([cidr, reason]) => [ipaddr.parseCIDR(cidr), reason]);

// First match wins, so the specific entries (metadata) come before their enclosing ranges.
const IPV4_RULES = rules([
  ['169.254.169.254/32', 'cloud_metadata'],
  ['100.100.100.200/32', 'cloud_metadata'],
  ['0.0.0.0/8', 'unspecified'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'carrier_grade_nat'],
  ['169.254.0.0/16', 'link_local'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
]);

const IPV6_RULES = rules([
  ['fd00:ec2::254/128', 'cloud_metadata'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::ffff:0:0/96', 'embedded'], // IPv4-mapped
  ['::ffff:0:0:0/96', 'embedded'], // RFC 6145 IPv4-translated
  ['::/96', 'embedded'], // deprecated IPv4-compatible
  ['64:ff9b::/96', 'embedded'], // NAT64 well-known prefix
  ['64:ff9b:1::/48', 'nat64_private'], // local-use NAT64
  ['2002::/16', 'embedded'], // 6to4
  ['2001::/32', 'reserved'], // Teredo: a tunnel to an address we cannot vet
  ['2001::/23', 'reserved'],
  ['2001:db8::/32', 'reserved'],
  ['3fff::/20', 'reserved'],
  ['fe80::/10', 'link_local'],
  ['fec0::/10', 'site_local'],
  ['fc00::/7', 'unique_local'],
  ['ff00::/8', 'multicast'],
]);

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
const IPV4_COMPATIBLE_TEXT = /^::\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(%.*)?$/;

/**
 * Which kind of address an IP literal is: `'public'`, or why a delivery must not go there.
 * Accepts what DNS answers and URL hosts contain (IPv6 with or without brackets, zone ids);
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by the embedded address,
 * so `::ffff:127.0.0.1` and `::ffff:7f00:1` are refused like 127.0.0.1.
 */
export function classifyAddress(ip: string): AddressClass {
  const literal = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  if (!ipaddr.isValid(literal)) return 'invalid';
  const address = ipaddr.parse(literal);
  if (address.kind() === 'ipv4') return classifyV4(address as ipaddr.IPv4);
  const v6 = address as ipaddr.IPv6;
  // ipaddr.js reads the deprecated IPv4-compatible text `::a.b.c.d` as IPv4-mapped; the network does not.
  if (IPV4_COMPATIBLE_TEXT.test(literal)) return classifyV6(new ipaddr.IPv6([0, 0, 0, 0, 0, 0, v6.parts[6] ?? 0, v6.parts[7] ?? 0]));
  return classifyV6(v6);
}

function classifyV4(address: ipaddr.IPv4): AddressClass {
  const rule = IPV4_RULES.find(([range]) => address.match(range));
  return rule === undefined ? 'public' : (rule[1] as AddressReason);
}

function classifyV6(address: ipaddr.IPv6): AddressClass {
  const rule = IPV6_RULES.find(([range]) => address.match(range));
  if (rule === undefined) return address.match(GLOBAL_UNICAST_V6) ? 'public' : 'reserved';
  if (rule[1] !== 'embedded') return rule[1];
  const parts = address.parts;
  const is6to4 = parts[0] === 0x2002;
  const high = (is6to4 ? parts[1] : parts[6]) ?? 0;
  const low = (is6to4 ? parts[2] : parts[7]) ?? 0;
  const embedded = classifyV4(new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]));
  // The deprecated IPv4-compatible form (::a.b.c.d) is not routed to the IPv4 host: never a valid target.
  const isCompatible = parts.slice(0, 6).every((part) => part === 0);
  if (embedded === 'public') return isCompatible ? 'reserved' : 'public';
  if (embedded === 'cloud_metadata') return 'cloud_metadata';
  if (is6to4) return '6to4_private';
  return parts[0] === 0x64 ? 'nat64_private' : 'ipv4_mapped_private';
}


/**
 * True for the name `localhost` (any case, trailing dot or not), 127.0.0.0/8 and ::1 (bracketed or
 * not); any other name is not, nor an IPv4 address embedded in IPv6 (`::ffff:127.0.0.1`), refused
 * here as everywhere in these rules. Where the local stack may listen without warning, and where
 * the CLI may send the admin credential over plain http.
 */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return name === 'localhost' || name === 'localhost.' || classifyAddress(name) === 'loopback';
}
/** Which non-public targets a deployment (or the local stack) admits besides public addresses. */
export interface TargetPolicy {
  /** HOOKLAKE_ALLOW_PRIVATE_TARGETS: the private ranges of PRIVATE_ADDRESS_CLASSES, nothing else. */
  allowPrivate: boolean;
  /** Loopback (127/8, ::1, `localhost`): set only by the local stack, so people can test against a receiver on their machine. */
  allowLoopback?: boolean | undefined;
}

/**
 * What `allowPrivate` admits: RFC 1918 (10/8, 172.16/12, 192.168/16), shared address space
 * (100.64/10, which AWS VPCs can use too) and unique-local IPv6 (fc00::/7). Never loopback,
 * link-local, unspecified, metadata, multicast, reserved space, or a private IPv4 embedded in IPv6.
 */
export const PRIVATE_ADDRESS_CLASSES: ReadonlySet<AddressClass> = new Set<AddressClass>(['private', 'carrier_grade_nat', 'unique_local']);

/** Whether a delivery may go to an address of this class under `policy`. */
export function isAllowedAddress(addressClass: AddressClass, policy: TargetPolicy): boolean {
  if (addressClass === 'public') return true;
  if (addressClass === 'loopback') return policy.allowLoopback === true;
  return policy.allowPrivate && PRIVATE_ADDRESS_CLASSES.has(addressClass);
}

export type TargetRefusal = 'invalid_url' | 'unsupported_scheme' | 'credentials_in_url' | 'blocked_address';

export type TargetCheck =
  | { verdict: 'allowed'; url: string; address: string; addressClass: AddressClass }
  | { verdict: 'needs_dns'; url: string; hostname: string }
  | { verdict: 'refused'; reason: TargetRefusal; addressClass?: AddressClass; detail: string };

/**
 * Validates a target URL before any DNS: http/https only, no `user:password@` (secrets do not
 * belong in URLs we store and log), and an IP-literal host classified here. `localhost` and
 * `*.localhost` are loopback by definition (RFC 6761) and treated as 127.0.0.1. Any other hostname
 * gives `needs_dns`: resolve it, then `checkResolvedAddresses`. `url` is the normalised URL.
 */
export function checkTargetUrl(url: string, policy: TargetPolicy): TargetCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { verdict: 'refused', reason: 'invalid_url', detail: 'not an absolute URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { verdict: 'refused', reason: 'unsupported_scheme', detail: `${parsed.protocol} is not http: or https:` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { verdict: 'refused', reason: 'credentials_in_url', detail: 'the URL carries a user name or password' };
  }
  const host = parsed.hostname; // WHATWG-normalised: lowercase, IPv4 in dotted decimal, IPv6 in brackets
  const hostWithoutDot = host.endsWith('.') ? host.slice(0, -1) : host;
  const isLocalhost = hostWithoutDot === 'localhost' || hostWithoutDot.endsWith('.localhost');
  const literal = host.startsWith('[') ? host.slice(1, -1) : host;
  if (!isLocalhost && !ipaddr.isValid(literal)) return { verdict: 'needs_dns', url: parsed.href, hostname: host };
  const address = isLocalhost ? '127.0.0.1' : literal;
  const addressClass = classifyAddress(address);
  if (!isAllowedAddress(addressClass, policy)) {
    return { verdict: 'refused', reason: 'blocked_address', addressClass, detail: `${host} is a ${addressClass} address` };
  }
  return { verdict: 'allowed', url: parsed.href, address, addressClass };
}

export type ResolvedCheck =
  | { verdict: 'allowed'; addresses: string[] }
  | { verdict: 'refused'; reason: 'blocked_address' | 'no_address'; address?: string; addressClass?: AddressClass };

/**
 * After DNS: the hostname is refused when ANY address it resolves to is not allowed (an attacker
 * controlling the zone could otherwise mix a private address in), or when it resolves to nothing.
 */
export function checkResolvedAddresses(addresses: readonly string[], policy: TargetPolicy): ResolvedCheck {
  if (addresses.length === 0) return { verdict: 'refused', reason: 'no_address' };
  for (const address of addresses) {
    const addressClass = classifyAddress(address);
    if (!isAllowedAddress(addressClass, policy)) {
      return { verdict: 'refused', reason: 'blocked_address', address, addressClass };
    }
  }
  return { verdict: 'allowed', addresses: [...addresses] };
}
