// The HTTP request of one delivery attempt, from the subscription's method and format:
//
// - POST json (default): body = the envelope `{"type","id","timestamp","data"}` as JSON, the
//   event's data text spliced in as it is (`envelopeJson`), `Content-Type: application/json`;
// - POST form: body = `encodeBracketForm(envelope)` (`type=...&id=...&timestamp=...&data[key]=...`),
//   `Content-Type: application/x-www-form-urlencoded`;
// - GET: the envelope flattened into query parameters (`flattenForQuery`: `type`, `id`,
//   `timestamp`, `data_<path>`) appended to the URL's own query; a URL over 8 KiB throws
//   `UrlTooLongError` (the delivery fails as `url_too_long`, never truncated).
// GET and form parse the data keeping each number's source text (`envelopeForEncoding`).
// A raw envelope (a sync row-op, events.ts `SYNC_ROW_EVENT_TYPE`) sends its data itself in place of
// the envelope, in the same three encodings: valmi's payload at the top level.
//
// Every request carries the Standard Webhooks headers (signature.ts): POST signs the body, GET
// the query string as sent. Subscription headers go first, lowercased, without the names
// header-policy.ts reserves, so they can never replace or duplicate ours.
import { sendableHeaders } from './header-policy.ts';
import { buildGetUrl, encodeBracketForm, flattenForQuery, parseJsonKeepingNumberText } from './payload-encoding.ts';
import { signatureHeaders, signatureHeadersForGet } from './signature.ts';
import { envelopeForEncoding, envelopeJson, type DeliveryEnvelope } from './events.ts';

export const USER_AGENT = 'Hooklake-Webhooks/1';

export interface DeliveryTarget {
  webhookUrl: string;
  webhookHttpMethod: 'POST' | 'GET';
  format: 'json' | 'form';
  headers: Record<string, string>;
}

export interface DeliveryRequest {
  method: 'POST' | 'GET';
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
}

export function buildDeliveryRequest(input: {
  target: DeliveryTarget;
  envelope: DeliveryEnvelope;
  /** The delivery's `webhook-id`. */
  webhookId: string;
  secret: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
  maxUrlLength?: number | undefined;
}): DeliveryRequest {
  const { target, envelope, webhookId, secret, timestamp } = input;
  const headers = sendableHeaders(target.headers);
  headers['user-agent'] = USER_AGENT;
  const encodable = () => (envelope.raw === true ? parseJsonKeepingNumberText(envelope.dataJson) : envelopeForEncoding(envelope));
  if (target.webhookHttpMethod === 'GET') {
    const url = buildGetUrl(target.webhookUrl, flattenForQuery(encodable()), {
      ...(input.maxUrlLength === undefined ? {} : { maxUrlLength: input.maxUrlLength }),
    });
    Object.assign(headers, signatureHeadersForGet({ secret, msgId: webhookId, timestamp, url }));
    return { method: 'GET', url, headers };
  }
  const form = target.format === 'form';
  const body = form ? encodeBracketForm(encodable()) : envelope.raw === true ? envelope.dataJson : envelopeJson(envelope);
  headers['content-type'] = form ? 'application/x-www-form-urlencoded' : 'application/json';
  Object.assign(headers, signatureHeaders({ secret, msgId: webhookId, timestamp, payload: body }));
  const url = new URL(target.webhookUrl);
  url.hash = '';
  return { method: 'POST', url: url.href, headers, body };
}
