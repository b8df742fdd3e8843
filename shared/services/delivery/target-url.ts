// The check a destination URL passes before it is stored (subscriptions and syncs alike): the
// SSRF rules on the URL itself, then on every address its host resolves to now. The sender checks
// the addresses again at each delivery (DNS can change); this only refuses what is wrong today.
import { checkResolvedAddresses, checkTargetUrl, type TargetPolicy } from '../../domain/delivery/ssrf.ts';

export type StorableUrl = { ok: true; url: string } | { ok: false; reason: string };

export async function checkStorableUrl(
  url: string,
  policy: TargetPolicy,
  resolve: (hostname: string) => Promise<string[]>,
): Promise<StorableUrl> {
  const check = checkTargetUrl(url, policy);
  if (check.verdict === 'refused') return { ok: false, reason: check.detail };
  if (check.verdict === 'allowed') return { ok: true, url: check.url };
  let addresses: string[];
  try {
    addresses = await resolve(check.hostname);
  } catch {
    return { ok: false, reason: `${check.hostname} does not resolve` };
  }
  const resolved = checkResolvedAddresses(addresses, policy);
  if (resolved.verdict === 'refused') {
    return {
      ok: false,
      reason:
        resolved.reason === 'no_address'
          ? `${check.hostname} resolves to no address`
          : `${check.hostname} resolves to a ${resolved.addressClass} address`,
    };
  }
  return { ok: true, url: check.url };
}
