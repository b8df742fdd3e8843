// A destination is where the delivery engine delivers: a subscription (`sub_…`, events matched
// to it by type) or a sync (`syn_…`, row-ops of its runs). The engine keys deliveries, signing
// secrets and retries by the destination's id, whatever its kind; the id's prefix tells the kind.
//
// Subscription ids: `sub_` + 20 hex characters when created; any `sub_` + 8 to 40 letters or
// digits is accepted as an id (checked before any lookup, by the API and the CLI alike). Sync ids
// (`syn_` + 20 hex) are made in syncs/ids.ts.
import { randomBytes } from 'node:crypto';

export type DestinationKind = 'subscription' | 'sync';

export const SUBSCRIPTION_ID_PREFIX = 'sub_';
export const SYNC_ID_PREFIX = 'syn_';

export { SUBSCRIPTION_ID } from '../id-patterns.ts';

export function newSubscriptionId(): string {
  return `${SUBSCRIPTION_ID_PREFIX}${randomBytes(10).toString('hex')}`;
}

/** The kind of destination an id names: its prefix says it. */
export function destinationKind(destinationId: string): DestinationKind {
  return destinationId.startsWith(SYNC_ID_PREFIX) ? 'sync' : 'subscription';
}
