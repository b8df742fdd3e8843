// The connection test of the OutboundService: a signed `ping` sent at once to a subscription's
// URL (valmi's "test at creation"); not recorded as a delivery.
import { randomUUID } from 'node:crypto';
import { buildDeliveryRequest } from '../../domain/delivery/request.ts';
import { buildEnvelope, deliveryMessageId } from '../../domain/delivery/events.ts';
import { PayloadEncodingError } from '../../domain/delivery/payload-encoding.ts';
import { classifyResponse } from '../../domain/delivery/retry-policy.ts';
import type { ConnectionTestResult, OutboundService } from '../../ports/subscriptions.ts';
import type { OutboundCore } from '../subscriptions/outbound.ts';
import { openSubscriptionHeaders } from './destinations.ts';

export function connectionTest(core: OutboundCore): OutboundService['testSubscription'] {
  const { deps } = core;
  return async (id) => {
    const subscription = await core.requireSubscription(id);
    const secret = await core.needCipher().decrypt(subscription.secretCiphertext, subscription.id);
    const headers = await openSubscriptionHeaders(subscription, deps.cipher);
    const now = deps.clock.nowMs();
    const eventId = `evt_ping_${randomUUID().replaceAll('-', '')}`;
    const envelope = buildEnvelope({
      type: 'ping',
      id: eventId,
      timestamp: now,
      dataJson: JSON.stringify({ subscriptionId: subscription.id, message: 'Hooklake connection test' }),
    });
    let request;
    try {
      request = buildDeliveryRequest({
        target: { ...subscription, headers },
        envelope,
        webhookId: deliveryMessageId(eventId, subscription.id),
        secret,
        timestamp: Math.floor(now / 1000),
      });
    } catch (error) {
      if (!(error instanceof PayloadEncodingError)) throw error;
      return { ok: false, latencyMs: 0, errorClass: error.code };
    }
    const sent = await deps.sender.send(request);
    const classification = classifyResponse(sent.outcome);
    const result: ConnectionTestResult = {
      ok: classification.valid,
      latencyMs: Math.round(sent.latencyMs),
      ...(sent.statusCode === undefined ? {} : { statusCode: sent.statusCode }),
      ...(classification.valid ? {} : { errorClass: classification.errorClass }),
      ...(sent.responseSnippet === undefined ? {} : { responseSnippet: sent.responseSnippet }),
    };
    return result;
  };
}
