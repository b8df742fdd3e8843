// Subscription ids: `sub_` + 20 hex characters when created; any `sub_` + 8 to 40 letters or
// digits is accepted as an id (checked before any lookup, by the API and the CLI alike).
import { randomBytes } from 'node:crypto';

export { SUBSCRIPTION_ID } from '../id-patterns.ts';

export function newSubscriptionId(): string {
  return `sub_${randomBytes(10).toString('hex')}`;
}
