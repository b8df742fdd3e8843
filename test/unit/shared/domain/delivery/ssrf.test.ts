import { describe, expect, it } from 'vitest';
import {
  checkResolvedAddresses,
  checkTargetUrl,
  classifyAddress,
  isAllowedAddress,
  type AddressClass,
  type TargetPolicy,
} from '../../../../../shared/domain/delivery/ssrf.ts';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    // loopback
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['127.1', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    // RFC 1918
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['192.168.255.255', 'private'],
    // just outside RFC 1918
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['11.0.0.1', 'public'],
    ['192.169.0.1', 'public'],
    // link-local and metadata
    ['169.254.169.254', 'cloud_metadata'],
    ['169.254.0.1', 'link_local'],
    ['169.254.169.253', 'link_local'],
    ['100.100.100.200', 'cloud_metadata'],
    ['fd00:ec2::254', 'cloud_metadata'],
    ['fd00:ec2:0:0:0:0:0:254', 'cloud_metadata'],
    ['fd00:ec2::253', 'unique_local'],
    // CGNAT
    ['100.64.0.1', 'carrier_grade_nat'],
    ['100.127.255.255', 'carrier_grade_nat'],
    ['100.63.255.255', 'public'],
    ['100.128.0.0', 'public'],
    // unspecified, broadcast, multicast, reserved
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.9', 'reserved'], // IETF protocol assignments
    ['192.88.99.1', 'reserved'], // former 6to4 relay anycast
    ['2001:2::1', 'reserved'], // benchmarking, inside IETF protocol assignments 2001::/23
    ['3fff::1', 'reserved'], // documentation (RFC 9637)
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'], // Teredo
    ['4000::1', 'reserved'], // outside global unicast 2000::/3
    ['100::1', 'reserved'], // discard prefix
    // IPv6 local ranges
    ['fd00::1', 'unique_local'],
    ['fdff:ffff::1', 'unique_local'],
    ['fc00::1', 'unique_local'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf:ffff::1', 'link_local'],
    ['fec0::1', 'site_local'],
    // IPv4 inside IPv6
    ['::ffff:127.0.0.1', 'ipv4_mapped_private'],
    ['::ffff:7f00:1', 'ipv4_mapped_private'],
    ['[::ffff:7f00:1]', 'ipv4_mapped_private'],
    ['::ffff:10.0.0.1', 'ipv4_mapped_private'],
    ['::ffff:192.168.1.1', 'ipv4_mapped_private'],
    ['::ffff:0.0.0.0', 'ipv4_mapped_private'],
    ['::ffff:169.254.169.254', 'cloud_metadata'],
    ['::ffff:a9fe:a9fe', 'cloud_metadata'],
    ['::ffff:8.8.8.8', 'public'],
    ['::ffff:0:127.0.0.1', 'ipv4_mapped_private'], // RFC 6145 translated form
    ['::127.0.0.1', 'ipv4_mapped_private'], // deprecated IPv4-compatible form
    ['::8.8.8.8', 'reserved'],
    // the deprecated compatible text with multi-digit octets and a zone: still not the public IPv4 host
    ['::93.184.216.34', 'reserved'],
    ['::93.184.216.34%eth0', 'reserved'],
    ['::808:808', 'reserved'],
    ['::a00:1', 'ipv4_mapped_private'],
    ['::169.254.169.254', 'cloud_metadata'],
    ['::0.0.0.1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'nat64_private'],
    ['64:ff9b::a00:1', 'nat64_private'],
    ['64:ff9b::169.254.169.254', 'cloud_metadata'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::1', 'nat64_private'],
    ['2002:7f00:1::', '6to4_private'],
    ['2002:c0a8:101::1', '6to4_private'],
    ['2002:808:808::1', 'public'],
    // public
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['93.184.216.34', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    // not addresses
    ['', 'invalid'],
    ['localhost', 'invalid'],
    ['example.com', 'invalid'],
    ['1.2.3.4.5', 'invalid'],
    ['::ffff::1', 'invalid'],
    // brackets only as a pair around the whole literal
    ['[::1', 'invalid'],
    ['::1]', 'invalid'],
    ['x::1]', 'invalid'],
    ['[x::1]', 'invalid'],
  ])('%s → %s', (ip, expected) => {
    expect(classifyAddress(ip)).toBe(expected);
  });
});

describe('isAllowedAddress: what each policy admits', () => {
  const strict: TargetPolicy = { allowPrivate: false };
  const awsPrivate: TargetPolicy = { allowPrivate: true };
  const localStack: TargetPolicy = { allowPrivate: true, allowLoopback: true };
  const ALL_CLASSES: AddressClass[] = [
    'public',
    'invalid',
    'unspecified',
    'loopback',
    'private',
    'carrier_grade_nat',
    'link_local',
    'cloud_metadata',
    'unique_local',
    'site_local',
    'multicast',
    'broadcast',
    'reserved',
    'ipv4_mapped_private',
    'nat64_private',
    '6to4_private',
  ];
  const admitted = (policy: TargetPolicy) => ALL_CLASSES.filter((addressClass) => isAllowedAddress(addressClass, policy));

  it('a deployment admits public addresses only', () => {
    expect(admitted(strict)).toEqual(['public']);
  });

  it('HOOKLAKE_ALLOW_PRIVATE_TARGETS=1 adds the private ranges only: never loopback, link-local or unspecified', () => {
    expect(admitted(awsPrivate)).toEqual(['public', 'private', 'carrier_grade_nat', 'unique_local']);
  });

  it('the local stack adds loopback; link-local, unspecified and metadata stay refused everywhere', () => {
    expect(admitted(localStack)).toEqual(['public', 'loopback', 'private', 'carrier_grade_nat', 'unique_local']);
    for (const policy of [strict, awsPrivate, localStack, { allowPrivate: false, allowLoopback: true }]) {
      for (const addressClass of ['link_local', 'unspecified', 'cloud_metadata', 'ipv4_mapped_private'] as const) {
        expect(isAllowedAddress(addressClass, policy), `${addressClass} under ${JSON.stringify(policy)}`).toBe(false);
      }
    }
  });
});

describe('checkTargetUrl', () => {
  const strict: TargetPolicy = { allowPrivate: false };
  const awsPrivate: TargetPolicy = { allowPrivate: true };
  const local: TargetPolicy = { allowPrivate: true, allowLoopback: true };

  it.each<[string, AddressClass]>([
    ['http://10.1.2.3/', 'private'],
    ['http://172.20.0.5/', 'private'],
    ['https://192.168.1.10/', 'private'],
    ['http://100.64.1.1/', 'carrier_grade_nat'],
    ['http://[fd12:3456::1]/', 'unique_local'],
  ])('refuses the private address %s (%s) unless private targets are allowed', (url, addressClass) => {
    expect(checkTargetUrl(url, strict)).toMatchObject({ verdict: 'refused', reason: 'blocked_address', addressClass });
    expect(checkTargetUrl(url, awsPrivate)).toMatchObject({ verdict: 'allowed', addressClass });
    expect(checkTargetUrl(url, local)).toMatchObject({ verdict: 'allowed', addressClass });
  });

  it.each<[string, AddressClass]>([
    ['http://127.0.0.1:8080/hook', 'loopback'],
    ['http://[::1]/', 'loopback'],
    ['http://2130706433/', 'loopback'], // decimal IPv4, normalised by the URL parser
    ['http://0x7f.1/', 'loopback'],
    ['http://017700000001/', 'loopback'], // octal
    ['http://localhost:3000/', 'loopback'],
    ['http://LOCALHOST./', 'loopback'],
    ['http://api.localhost/', 'loopback'],
  ])('refuses the loopback address %s even with private targets allowed; only the local stack admits it', (url, addressClass) => {
    expect(checkTargetUrl(url, strict)).toMatchObject({ verdict: 'refused', reason: 'blocked_address', addressClass });
    expect(checkTargetUrl(url, awsPrivate)).toMatchObject({ verdict: 'refused', reason: 'blocked_address', addressClass });
    expect(checkTargetUrl(url, local)).toMatchObject({ verdict: 'allowed', addressClass });
  });

  it.each<[string, AddressClass]>([
    ['http://0.0.0.0:3000/', 'unspecified'],
    ['http://[::]/', 'unspecified'],
    ['http://169.254.10.1/', 'link_local'],
    ['http://[fe80::1]/', 'link_local'],
    ['http://[::ffff:127.0.0.1]/', 'ipv4_mapped_private'],
    ['http://[::ffff:7f00:1]/', 'ipv4_mapped_private'],
    ['http://[64:ff9b::10.0.0.1]/', 'nat64_private'],
    ['http://224.0.0.1/', 'multicast'],
  ])('refuses %s (%s) under every policy, the local stack included', (url, addressClass) => {
    for (const policy of [strict, awsPrivate, local]) {
      expect(checkTargetUrl(url, policy)).toMatchObject({ verdict: 'refused', reason: 'blocked_address', addressClass });
    }
  });

  it.each([
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://[::ffff:169.254.169.254]/',
    'http://2852039166/', // 169.254.169.254 as a number
  ])('refuses the cloud metadata service %s even when private targets are allowed', (url) => {
    for (const policy of [strict, awsPrivate, local]) {
      expect(checkTargetUrl(url, policy)).toMatchObject({ verdict: 'refused', reason: 'blocked_address', addressClass: 'cloud_metadata' });
    }
  });

  it.each([
    ['ftp://example.com/x', 'unsupported_scheme'],
    ['file:///etc/passwd', 'unsupported_scheme'],
    ['javascript:alert(1)', 'unsupported_scheme'],
    ['gopher://127.0.0.1:25/', 'unsupported_scheme'],
    ['ws://example.com/', 'unsupported_scheme'],
    ['https://user:pass@example.com/hook', 'credentials_in_url'],
    ['https://user@example.com/hook', 'credentials_in_url'],
    ['https://:pass@example.com/hook', 'credentials_in_url'],
    ['not a url', 'invalid_url'],
    ['/relative/path', 'invalid_url'],
    ['http://', 'invalid_url'],
    ['http://[::1/', 'invalid_url'],
  ])('refuses %s as %s, whatever the allow setting', (url, reason) => {
    for (const policy of [strict, awsPrivate, local]) expect(checkTargetUrl(url, policy)).toMatchObject({ verdict: 'refused', reason });
  });

  it('says why in a detail a person can act on', () => {
    expect(checkTargetUrl('not a url', strict)).toEqual({ verdict: 'refused', reason: 'invalid_url', detail: 'not an absolute URL' });
    expect(checkTargetUrl('ftp://example.com/x', strict)).toEqual({ verdict: 'refused', reason: 'unsupported_scheme', detail: 'ftp: is not http: or https:' });
    expect(checkTargetUrl('https://user:pass@example.com/', strict)).toEqual({
      verdict: 'refused',
      reason: 'credentials_in_url',
      detail: 'the URL carries a user name or password',
    });
    expect(checkTargetUrl('http://[fe80::1]/', strict)).toEqual({
      verdict: 'refused',
      reason: 'blocked_address',
      addressClass: 'link_local',
      detail: '[fe80::1] is a link_local address',
    });
  });

  it('sends hostnames to DNS, normalised', () => {
    expect(checkTargetUrl('https://Hooks.Example.COM:8443/in?x=1', strict)).toEqual({
      verdict: 'needs_dns',
      url: 'https://hooks.example.com:8443/in?x=1',
      hostname: 'hooks.example.com',
    });
    expect(checkTargetUrl('https://localhost.example.com/', strict)).toMatchObject({ verdict: 'needs_dns' });
  });

  it('allows public literal addresses', () => {
    expect(checkTargetUrl('https://8.8.8.8/hook', strict)).toEqual({
      verdict: 'allowed',
      url: 'https://8.8.8.8/hook',
      address: '8.8.8.8',
      addressClass: 'public',
    });
    expect(checkTargetUrl('http://[2606:4700:4700::1111]/', strict)).toMatchObject({ verdict: 'allowed', address: '2606:4700:4700::1111' });
  });
});

describe('checkResolvedAddresses', () => {
  it('allows a hostname only when every address is allowed', () => {
    expect(checkResolvedAddresses(['93.184.216.34', '2606:2800:220:1::1'], { allowPrivate: false })).toEqual({
      verdict: 'allowed',
      addresses: ['93.184.216.34', '2606:2800:220:1::1'],
    });
    expect(checkResolvedAddresses(['93.184.216.34', '10.0.0.7'], { allowPrivate: false })).toEqual({
      verdict: 'refused',
      reason: 'blocked_address',
      address: '10.0.0.7',
      addressClass: 'private',
    });
    expect(checkResolvedAddresses(['::ffff:127.0.0.1'], { allowPrivate: false })).toMatchObject({ verdict: 'refused' });
  });

  it('refuses a name that resolves to nothing', () => {
    expect(checkResolvedAddresses([], { allowPrivate: true })).toEqual({ verdict: 'refused', reason: 'no_address' });
  });

  it('lets private addresses through when allowed, loopback only in the local stack, never metadata or link-local', () => {
    expect(checkResolvedAddresses(['10.0.0.1', 'fd00::7'], { allowPrivate: true })).toMatchObject({ verdict: 'allowed' });
    expect(checkResolvedAddresses(['10.0.0.1', '127.0.0.1'], { allowPrivate: true })).toMatchObject({
      verdict: 'refused',
      address: '127.0.0.1',
      addressClass: 'loopback',
    });
    expect(checkResolvedAddresses(['127.0.0.1', '10.0.0.1'], { allowPrivate: true, allowLoopback: true })).toMatchObject({ verdict: 'allowed' });
    for (const address of ['169.254.169.254', '169.254.3.3', '0.0.0.0']) {
      expect(checkResolvedAddresses(['127.0.0.1', address], { allowPrivate: true, allowLoopback: true }), address).toMatchObject({
        verdict: 'refused',
        address,
      });
    }
  });
});
