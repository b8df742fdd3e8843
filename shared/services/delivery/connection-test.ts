// The connection test (valmi's "test at creation"): a signed `ping` sent at once to a
// destination's URL, as a delivery would be (method, format, custom headers, Standard Webhooks
// signature), and how the endpoint answered. Not recorded as a delivery. A subscription is tested
// on demand (its stored secret), a sync before it is stored (its new secret).
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../domain/clock.ts';
import { buildDeliveryRequest, type DeliveryTarget } from '../../domain/delivery/request.ts';
import { buildEnvelope, deliveryMessageId } from '../../domain/delivery/events.ts';
import { destinationKind } from '../../domain/delivery/destinations.ts';
import { PayloadEncodingError } from '../../domain/delivery/payload-encoding.ts';
import { classifyResponse } from '../../domain/delivery/retry-policy.ts';
import type { ConnectionTestResult, HttpSender } from '../../ports/delivery.ts';

/** The ping's data names what is tested: `{"subscriptionId": …}` or `{"syncId": …}`. */
function pingData(destinationId: string): string {
  const key = destinationKind(destinationId) === 'sync' ? 'syncId' : 'subscriptionId';
  return JSON.stringify({ [key]: destinationId, message: 'Hooklake connection test' });
}

export async function testConnection(
  deps: { sender: HttpSender; clock: Clock },
  destination: DeliveryTarget & { id: string },
  secret: string,
): Promise<ConnectionTestResult> {
  const now = Math.floor(deps.clock.nowMs());
  const eventId = `evt_ping_${randomUUID().replaceAll('-', '')}`;
  const envelope = buildEnvelope({ type: 'ping', id: eventId, timestamp: now, dataJson: pingData(destination.id) });
  let request;
  try {
    request = buildDeliveryRequest({
      target: destination,
      envelope,
      webhookId: deliveryMessageId(eventId, destination.id),
      secret,
      timestamp: Math.floor(now / 1000),
    });
  } catch (error) {
    if (!(error instanceof PayloadEncodingError)) throw error;
    return { ok: false, latencyMs: 0, errorClass: error.code };
  }
  const sent = await deps.sender.send(request);
  const classification = classifyResponse(sent.outcome);
  return {
    ok: classification.valid,
    latencyMs: Math.round(sent.latencyMs),
    ...(sent.statusCode === undefined ? {} : { statusCode: sent.statusCode }),
    ...(classification.valid ? {} : { errorClass: classification.errorClass }),
    ...(sent.responseSnippet === undefined ? {} : { responseSnippet: sent.responseSnippet }),
  };
}
