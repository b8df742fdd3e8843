// The processor's signature verifiers, one per pipeline that verifies: its secrets are
// decrypted once (one KMS Decrypt on AWS) and the verifier kept across warm invocations beside the
// credential cache, with the same TTL and the same kind of bounded LRU. The pipeline record itself
// comes from the credential cache, so `verification set`/`clear` takes effect within that TTL; the
// verifier is keyed by the record's ciphertext and settings, so a changed setting is never served
// from an old entry.
import { LRUCache } from 'lru-cache';
import type { Clock } from '../../domain/clock.ts';
import type { PipelineRecord } from '../../domain/ingest/records.ts';
import { decodeSecrets } from '../../domain/ingest/signatures/settings.ts';
import { verifierFor, type Verifier } from '../../domain/ingest/signatures/verify.ts';
import type { SecretCipher } from '../../ports/delivery.ts';

export interface VerifierSource {
  /** The pipeline's verifier; undefined when it does not verify. Rejects when its secrets cannot be decrypted (retry). */
  verifierOf(pipeline: PipelineRecord): Promise<Verifier | undefined>;
}

/** Verifiers kept at most: one per verifying pipeline seen recently. */
export const VERIFIER_CACHE_MAX_ENTRIES = 1_000;

export class VerificationUnavailableError extends Error {
  override name = 'VerificationUnavailableError';
}

/** `cipher` decrypts under {pipelineId} (secretCipherFromConfig(..., 'pipeline')). */
export function cachedVerifiers(
  cipher: SecretCipher | undefined,
  ttlSeconds: number,
  clock: Clock,
  maxEntries = VERIFIER_CACHE_MAX_ENTRIES,
): VerifierSource {
  // A TTL of 0 keeps nothing beyond the call (lru-cache would read 0 as "never expires").
  const cache =
    ttlSeconds > 0
      ? new LRUCache<string, Promise<Verifier>>({ max: maxEntries, ttl: ttlSeconds * 1000, ttlResolution: 0, perf: { now: () => clock.nowMs() } })
      : undefined;

  async function build(pipeline: PipelineRecord): Promise<Verifier> {
    const { secretsCiphertext, secretCount: _count, ...settings } = pipeline.verification!;
    if (cipher === undefined) throw new VerificationUnavailableError('no secret cipher configured for verification secrets');
    const secrets = decodeSecrets(await cipher.decrypt(secretsCiphertext, String(pipeline.id)));
    return verifierFor(settings, secrets);
  }

  return {
    async verifierOf(pipeline) {
      const stored = pipeline.verification;
      if (stored === undefined) return undefined;
      if (cache === undefined) return build(pipeline);
      const { secretsCiphertext, ...settings } = stored;
      const key = `${pipeline.id}\n${JSON.stringify(settings)}\n${secretsCiphertext}`;
      let verifier = cache.get(key);
      if (verifier === undefined) {
        // The promise is kept, so a batch with many requests for one pipeline decrypts once; a failure is not kept.
        verifier = build(pipeline);
        cache.set(key, verifier);
        verifier.catch(() => cache.delete(key));
      }
      return verifier;
    },
  };
}
