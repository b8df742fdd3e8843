// The destinations as the fan-out and the processor see them. A subscription and a sync are two
// kinds of destination (domain/delivery/destinations.ts): the fan-out runs a sync's delivery jobs
// as it runs a subscription's retries (URL, method, format, signing secret, custom headers).
//
// - `destinationSource` reads them from the stores: `sub_` ids from the subscriptions, `syn_` ids
//   from the syncs. Only subscriptions are listed: events are never matched to a sync (its
//   deliveries are created by the sync engine), and the API's subscription list never shows one.
// - `destinationDirectory` caches the subscription list for a short TTL across warm invocations
//   (one Query per TTL however many events flow), with decrypted signing secrets and custom
//   header values beside it (one KMS Decrypt of each per destination per cold start, and only
//   once a delivery needs it). Writers in the same process call `invalidate` through whatever the
//   composition root wires (the local stack runs API, processor and fan-out together, possibly on
//   worker threads: adapters/broadcast/); across Lambda instances a change shows within the TTL.
// - `sealHeaders` / `openHeaders`: one ciphertext of all custom header values per destination,
//   bound to its id like the signing secret.
import { destinationKind } from '../../domain/delivery/destinations.ts';
import type { Destination, DestinationDirectory, DestinationSource, SecretCipher, SubscribedDestination } from '../../ports/delivery.ts';
import type { SubscriptionStore } from '../../ports/subscriptions.ts';
import type { StoredSync, SyncStore } from '../../ports/syncs.ts';

/** Subscriptions from their store; syncs, when given, from theirs. */
export function destinationSource(stores: { subscriptions: Pick<SubscriptionStore, 'list' | 'get'>; syncs?: Pick<SyncStore, 'getSync'> | undefined }): DestinationSource {
  return {
    subscriptions: () => stores.subscriptions.list(),
    async get(id) {
      if (destinationKind(id) === 'subscription') return stores.subscriptions.get(id);
      const sync = await stores.syncs?.getSync(id);
      return sync === undefined ? undefined : syncDestination(sync);
    },
  };
}

/** A sync as a destination. A disabled sync's pending retries end, as a disabled subscription's do. */
export function syncDestination(sync: StoredSync): Destination {
  return {
    id: sync.id,
    webhookUrl: sync.webhookUrl,
    webhookHttpMethod: sync.webhookHttpMethod,
    format: sync.format,
    enabled: sync.enabled,
    secretCiphertext: sync.secretCiphertext,
    ...(sync.headersCiphertext === undefined ? {} : { headersCiphertext: sync.headersCiphertext }),
  };
}

export interface CachedDirectory extends DestinationDirectory {
  /** Drops the cached list (subscriptions changed): the next read goes to the store. */
  invalidate(): void;
}

export interface DirectoryOptions {
  ttlMs: number;
  /** Absent: reading a secret or an encrypted header fails (a directory that only matches events). */
  cipher?: SecretCipher | undefined;
  /** Wall clock for the TTL (caches are operational, never simulated time). */
  now?: () => number;
}

export function destinationDirectory(source: DestinationSource, options: DirectoryOptions): CachedDirectory {
  const now = options.now ?? Date.now;
  let cached: { list: SubscribedDestination[]; byId: Map<string, SubscribedDestination>; at: number } | undefined;
  let loading: Promise<SubscribedDestination[]> | undefined;
  let generation = 0;
  const secrets = new Map<string, { ciphertext: string; secret: Promise<string> }>();
  const headerValues = new Map<string, { ciphertext: string; headers: Promise<Record<string, string>> }>();

  async function subscriptions(): Promise<SubscribedDestination[]> {
    if (cached !== undefined && now() - cached.at < options.ttlMs) return cached.list;
    if (loading !== undefined) return loading;
    const started = generation;
    const at = now();
    loading = source.subscriptions().then(
      (items) => {
        if (generation === started) {
          cached = { list: items, byId: new Map(items.map((item) => [item.id, item])), at };
          loading = undefined;
        }
        return items;
      },
      (error: unknown) => {
        if (generation === started) loading = undefined;
        throw error;
      },
    );
    return loading;
  }

  return {
    subscriptions,
    async get(id) {
      if (destinationKind(id) === 'sync') return source.get(id);
      await subscriptions();
      return cached?.byId.get(id) ?? (await source.get(id));
    },
    secretOf(destination) {
      const known = secrets.get(destination.id);
      if (known !== undefined && known.ciphertext === destination.secretCiphertext) return known.secret;
      if (options.cipher === undefined) return Promise.reject(new Error('no secret cipher configured'));
      const secret = options.cipher.decrypt(destination.secretCiphertext, destination.id);
      secrets.set(destination.id, { ciphertext: destination.secretCiphertext, secret });
      secret.catch(() => secrets.delete(destination.id));
      return secret;
    },
    headersOf(destination) {
      const ciphertext = destination.headersCiphertext;
      if (ciphertext === undefined) return Promise.resolve({ ...destination.plaintextHeaders });
      const known = headerValues.get(destination.id);
      if (known !== undefined && known.ciphertext === ciphertext) return known.headers;
      if (options.cipher === undefined) return Promise.reject(new Error('no secret cipher configured'));
      const headers = openHeaders(destination, options.cipher);
      headerValues.set(destination.id, { ciphertext, headers });
      headers.catch(() => headerValues.delete(destination.id));
      return headers;
    },
    invalidate() {
      cached = undefined;
      loading = undefined;
      generation++;
    },
  };
}

/**
 * Encrypts custom headers for storage (one ciphertext per destination, bound to its id like the
 * signing secret): the names stay readable, the values only through `openHeaders`.
 */
export async function sealHeaders(
  headers: Readonly<Record<string, string>>,
  destinationId: string,
  cipher: SecretCipher,
): Promise<{ headerNames: string[]; headersCiphertext?: string }> {
  const headerNames = Object.keys(headers);
  if (headerNames.length === 0) return { headerNames };
  return { headerNames, headersCiphertext: await cipher.encrypt(JSON.stringify(headers), destinationId) };
}

/** The custom headers of a stored destination: decrypted, or an old item's plaintext ones. */
export async function openHeaders(destination: Destination, cipher: SecretCipher | undefined): Promise<Record<string, string>> {
  if (destination.headersCiphertext === undefined) return { ...destination.plaintextHeaders };
  if (cipher === undefined) throw new Error('no secret cipher configured');
  const parsed: unknown = JSON.parse(await cipher.decrypt(destination.headersCiphertext, destination.id));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((value) => typeof value === 'string')) {
    throw new Error(`the headers of ${destination.id} do not decrypt to an object of strings`);
  }
  return parsed as Record<string, string>;
}
