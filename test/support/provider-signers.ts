// Requests signed as each provider signs them: by the provider's own library where one exists
// (@octokit/webhooks-methods, stripe's test header helper, standardwebhooks), else by the
// provider's documented recipe written out here, apart from the code under test (Shopify, Slack,
// the generic hmac provider).
import { createHmac } from 'node:crypto';
import { sign as signGithub } from '@octokit/webhooks-methods';
import Stripe from 'stripe';
import { Webhook } from 'standardwebhooks';
import type { HmacAlgorithm, SignatureEncoding, SignatureProvider } from '../../shared/domain/ingest/signatures/settings.ts';

export interface SignOptions {
  secret: string;
  /** Epoch seconds the signature claims (Stripe, Slack, Standard Webhooks); default now. */
  timestampSeconds?: number;
  /** Standard Webhooks' webhook-id; default a fixed one. */
  messageId?: string;
  /** hmac provider only. */
  hmac?: { header: string; algorithm: HmacAlgorithm; encoding: SignatureEncoding; prefix?: string };
}

/** A fresh Standard Webhooks secret as senders show it (`whsec_` + base64 of 24 bytes). */
export const STANDARD_WEBHOOKS_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const STANDARD_WEBHOOKS_SECRET_2 = 'whsec_' + Buffer.from('another-key-for-rotation').toString('base64');

const stripeWebhooks = Stripe.webhooks;

/** The headers `provider` sends with `body` (exact bytes as a string). */
export async function signedHeaders(provider: SignatureProvider, body: string, options: SignOptions): Promise<Record<string, string>> {
  const timestamp = options.timestampSeconds ?? Math.floor(Date.now() / 1000);
  switch (provider) {
    case 'github':
      return { 'X-Hub-Signature-256': await signGithub(options.secret, body), 'X-GitHub-Event': 'push' };
    case 'stripe':
      return { 'Stripe-Signature': stripeWebhooks.generateTestHeaderString({ payload: body, secret: options.secret, timestamp }) };
    case 'standard-webhooks': {
      const id = options.messageId ?? 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
      const signature = new Webhook(options.secret).sign(id, new Date(timestamp * 1000), body);
      return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signature };
    }
    case 'shopify':
      // shopify.dev: base64 of HMAC-SHA256 of the raw body keyed by the app's client secret.
      return {
        'X-Shopify-Hmac-Sha256': createHmac('sha256', options.secret).update(Buffer.from(body, 'utf8')).digest('base64'),
        'X-Shopify-Topic': 'orders/create',
      };
    case 'slack': {
      // api.slack.com "Verifying requests": v0= hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`.
      const base = Buffer.concat([Buffer.from(`v0:${timestamp}:`), Buffer.from(body, 'utf8')]);
      return {
        'X-Slack-Signature': `v0=${createHmac('sha256', options.secret).update(base).digest('hex')}`,
        'X-Slack-Request-Timestamp': String(timestamp),
      };
    }
    case 'hmac': {
      const spec = options.hmac!;
      const digest = createHmac(spec.algorithm, options.secret).update(Buffer.from(body, 'utf8')).digest(spec.encoding);
      return { [spec.header]: `${spec.prefix ?? ''}${digest}` };
    }
  }
}

/** Headers as the receiver captures them: lower-case names. */
export function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
