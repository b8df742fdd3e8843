// The subscription list as the fan-out and the processor see it: cached for a short TTL across
// warm invocations (one Query per TTL however many events flow), with decrypted signing secrets
// and custom header values cached beside it (one KMS Decrypt of each per subscription per cold
// start, and only once a delivery needs it). Writers in the same process
// (the local stack runs API, processor and fan-out together, possibly on worker threads)
// invalidate the cache at once through `notifySubscriptionsChanged`; across Lambda instances a
// change shows within the TTL.
import { BroadcastChannel } from 'node:worker_threads';
import type { AwsConfig } from '../../config.ts';
import type { SecretCipher, StoredSubscription, SubscriptionStore } from '../../ports/delivery.ts';

const listeners = new Map<string, Set<() => void>>();

function notifyLocal(scope: string): void {
  for (const listener of listeners.get(scope) ?? []) listener();
}

// Other threads of the process (the local stack can run the fan-out and processor in a worker)
// hear of changes through a BroadcastChannel; it never receives its own messages, and is unref'd
// so it keeps no process alive.
let channel: BroadcastChannel | undefined;
function crossThreadChannel(): BroadcastChannel {
  if (channel === undefined) {
    channel = new BroadcastChannel('hooklake:subscriptions-changed');
    channel.onmessage = (message) => notifyLocal(String((message as { data: unknown }).data));
    channel.unref();
  }
  return channel;
}

/** Tells every directory of this process reading `scope` (endpoint + table) that subscriptions changed. */
export function notifySubscriptionsChanged(scope: string): void {
  notifyLocal(scope);
  crossThreadChannel().postMessage(scope);
}

export interface SubscriptionDirectory {
  list(): Promise<StoredSubscription[]>;
  /** From the cached list, else straight from the store (a subscription newer than the cache). */
  get(id: string): Promise<StoredSubscription | undefined>;
  /** The decrypted signing secret; never logged. */
  secretOf(subscription: StoredSubscription): Promise<string>;
  /** The decrypted custom headers (name → value); never logged. */
  headersOf(subscription: StoredSubscription): Promise<Record<string, string>>;
  invalidate(): void;
  /** Stops listening for invalidations. */
  close(): void;
}

export interface DirectoryOptions {
  ttlMs: number;
  cipher?: SecretCipher | undefined;
  /** Invalidation scope (see notifySubscriptionsChanged); none = TTL only. */
  scope?: string | undefined;
  /** Wall clock for the TTL (caches are operational, never simulated time). */
  now?: () => number;
}

export function subscriptionDirectory(store: SubscriptionStore, options: DirectoryOptions): SubscriptionDirectory {
  const now = options.now ?? Date.now;
  let cached: { list: StoredSubscription[]; byId: Map<string, StoredSubscription>; at: number } | undefined;
  let loading: Promise<StoredSubscription[]> | undefined;
  let generation = 0;
  const secrets = new Map<string, { ciphertext: string; secret: Promise<string> }>();
  const headerValues = new Map<string, { ciphertext: string; headers: Promise<Record<string, string>> }>();

  const invalidate = () => {
    cached = undefined;
    loading = undefined;
    generation++;
  };
  const scopeListeners = options.scope === undefined ? undefined : (listeners.get(options.scope) ?? new Set());
  if (options.scope !== undefined) {
    listeners.set(options.scope, scopeListeners!);
    scopeListeners!.add(invalidate);
    crossThreadChannel();
  }

  async function list(): Promise<StoredSubscription[]> {
    if (cached !== undefined && now() - cached.at < options.ttlMs) return cached.list;
    if (loading !== undefined) return loading;
    const started = generation;
    const at = now();
    loading = store.list().then(
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
    list,
    async get(id) {
      await list();
      return cached?.byId.get(id) ?? (await store.get(id));
    },
    secretOf(subscription) {
      const known = secrets.get(subscription.id);
      if (known !== undefined && known.ciphertext === subscription.secretCiphertext) return known.secret;
      if (options.cipher === undefined) return Promise.reject(new Error('no secret cipher configured'));
      const secret = options.cipher.decrypt(subscription.secretCiphertext, subscription.id);
      secrets.set(subscription.id, { ciphertext: subscription.secretCiphertext, secret });
      secret.catch(() => secrets.delete(subscription.id));
      return secret;
    },
    headersOf(subscription) {
      const ciphertext = subscription.headersCiphertext;
      if (ciphertext === undefined) return Promise.resolve({ ...subscription.plaintextHeaders });
      const known = headerValues.get(subscription.id);
      if (known !== undefined && known.ciphertext === ciphertext) return known.headers;
      if (options.cipher === undefined) return Promise.reject(new Error('no secret cipher configured'));
      const headers = openSubscriptionHeaders(subscription, options.cipher);
      headerValues.set(subscription.id, { ciphertext, headers });
      headers.catch(() => headerValues.delete(subscription.id));
      return headers;
    },
    invalidate,
    close() {
      scopeListeners?.delete(invalidate);
    },
  };
}

/**
 * Encrypts custom headers for storage (one ciphertext per subscription, bound to its id like the
 * signing secret): the names stay readable, the values only through `openSubscriptionHeaders`.
 */
export async function sealSubscriptionHeaders(
  headers: Readonly<Record<string, string>>,
  subscriptionId: string,
  cipher: SecretCipher,
): Promise<Pick<StoredSubscription, 'headerNames' | 'headersCiphertext'>> {
  const headerNames = Object.keys(headers);
  if (headerNames.length === 0) return { headerNames };
  return { headerNames, headersCiphertext: await cipher.encrypt(JSON.stringify(headers), subscriptionId) };
}

/** The custom headers of a stored subscription: decrypted, or an old item's plaintext ones. */
export async function openSubscriptionHeaders(subscription: StoredSubscription, cipher: SecretCipher | undefined): Promise<Record<string, string>> {
  if (subscription.headersCiphertext === undefined) return { ...subscription.plaintextHeaders };
  if (cipher === undefined) throw new Error('no secret cipher configured');
  const parsed: unknown = JSON.parse(await cipher.decrypt(subscription.headersCiphertext, subscription.id));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((value) => typeof value === 'string')) {
    throw new Error(`the headers of ${subscription.id} do not decrypt to an object of strings`);
  }
  return parsed as Record<string, string>;
}

/** The invalidation scope of a table (outbound-subscriptions.ts): endpoint + table name. */
export function subscriptionScope(config: { aws: AwsConfig; tableName: string }): string {
  return `${config.aws.endpoints.dynamodb ?? config.aws.region}|${config.tableName}`;
}
