// The provider's own id of a delivery, stored as `__hl_provider_delivery_id`: the same
// on every retry and redelivery of one event, so analysts count each provider delivery once.
//
// | provider          | delivery id                                                        |
// |-------------------|--------------------------------------------------------------------|
// | github            | `X-GitHub-Delivery` (a redelivery from GitHub's UI keeps it)       |
// | stripe            | the event's top-level `id` in the JSON body (`evt_…`)              |
// | shopify           | `X-Shopify-Webhook-Id`                                             |
// | slack             | the Events API body's `event_id` (kept on Slack's retries); slash  |
// |                   | commands and interactivity forms carry no id: null                 |
// | standard-webhooks | `webhook-id`                                                       |
// | hmac, or none     | the first of `X-GitHub-Delivery`, `X-Shopify-Webhook-Id`,          |
// |                   | `webhook-id` the request has; else Stripe's or Slack's rule when   |
// |                   | their signature header is present                                  |
//
// Never trusted for anything but grouping: without verification a sender can put any id there.
import { DELIVERY_ID_HEADERS, type CapturedHeaders } from '../request-capture.ts';
import type { SignatureProvider } from './settings.ts';

/** Longer ids are not ids: null rather than a truncated value that could group unrelated rows. */
export const MAX_DELIVERY_ID_LENGTH = 256;
/** Bodies parsed for an id (Stripe, Slack) at most: their events are a few KiB, and parsing is bounded. */
export const MAX_ID_BODY_BYTES = 1024 * 1024;

const HEADER_RULES: Partial<Record<SignatureProvider, string>> = {
  github: 'x-github-delivery',
  shopify: 'x-shopify-webhook-id',
  'standard-webhooks': 'webhook-id',
};
const BODY_RULES: Partial<Record<SignatureProvider, string>> = { stripe: 'id', slack: 'event_id' };

function idOf(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed.length === 0 || trimmed.length > MAX_DELIVERY_ID_LENGTH ? null : trimmed;
}

function fromHeader(headers: CapturedHeaders | undefined, name: string): string | null {
  return headers !== undefined && Object.hasOwn(headers, name) ? idOf(headers[name]) : null;
}

/** A top-level string field of a JSON object body, or null (not JSON, not an object, too large). */
function fromBody(body: string, field: string): string | null {
  if (body.length > MAX_ID_BODY_BYTES || !body.trimStart().startsWith('{')) return null;
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    return Object.hasOwn(parsed, field) ? idOf(parsed[field]) : null;
  } catch {
    return null;
  }
}

/**
 * The delivery id of a request to a pipeline verified by `provider` (undefined: no verification),
 * or null when it has none. `body` is the stored body text (JSON for Stripe's and Slack's events).
 */
export function providerDeliveryId(provider: SignatureProvider | undefined, headers: CapturedHeaders | undefined, body: string): string | null {
  if (provider !== undefined && provider !== 'hmac') {
    const name = HEADER_RULES[provider];
    return name !== undefined ? fromHeader(headers, name) : fromBody(body, BODY_RULES[provider]!);
  }
  for (const name of DELIVERY_ID_HEADERS) {
    const id = fromHeader(headers, name);
    if (id !== null) return id;
  }
  if (fromHeader(headers, 'stripe-signature') !== null) return fromBody(body, 'id');
  if (fromHeader(headers, 'x-slack-signature') !== null) return fromBody(body, 'event_id');
  return null;
}
