// The local secret cipher (AES-256-GCM): round trips, binds each ciphertext to the id it belongs
// to, and seals a destination's and a pipeline's secrets under scopes neither opens for the other,
// the way ciphertexts stored before destinations had their own name were sealed.
import { describe, expect, it } from 'vitest';
import { aesGcmSecretCipher } from '../../../../../shared/adapters/crypto/secret-cipher.ts';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('AES-GCM secret cipher', () => {
  it('round-trips, binds the ciphertext to the subscription, and never stores the plain secret', async () => {
    const cipher = aesGcmSecretCipher(KEY);
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const stored = await cipher.encrypt(secret, 'sub_a');
    expect(stored).toMatch(/^aesgcm:v1:/);
    expect(stored).not.toContain('MfKQ9r8');
    expect(await cipher.decrypt(stored, 'sub_a')).toBe(secret);
    await expect(cipher.decrypt(stored, 'sub_b')).rejects.toThrow();
    await expect(aesGcmSecretCipher(Buffer.alloc(32, 8).toString('base64')).decrypt(stored, 'sub_a')).rejects.toThrow();
  });

  it("keeps a destination's and a pipeline's secrets apart, even under the same id", async () => {
    const destination = aesGcmSecretCipher(KEY, 'destination');
    const pipeline = aesGcmSecretCipher(KEY, 'pipeline');
    const sealed = await destination.encrypt('secret', '7');
    await expect(pipeline.decrypt(sealed, '7')).rejects.toThrow();
    await expect(destination.decrypt(await pipeline.encrypt('secret', '7'), '7')).rejects.toThrow();
  });

  it('opens what was sealed before: a sync secret and a pipeline verification secret stored by earlier versions', async () => {
    // Sealed with this key by the code before `SecretScope` (context keys `subscriptionId` and `pipelineId`).
    const syncSecret = 'aesgcm:v1:xrBE5HGH2VXaPydhlUbE7gCLcO+NH5YL+rK4mpe8HwyitoYp+dGNqxnSz74omiuNF3cr+s5RdKA=';
    const pipelineSecrets = 'aesgcm:v1:B7wAaAeimUO/E3AKYMQeNr6YOwtyDpk4ttxiTc7/X+Jk2tFzFgHtskrSnhCZbas=';
    expect(await aesGcmSecretCipher(KEY, 'destination').decrypt(syncSecret, 'syn_0123456789abcdef0123')).toBe('whsec_sealed-before-the-move');
    expect(await aesGcmSecretCipher(KEY, 'pipeline').decrypt(pipelineSecrets, '7')).toBe('["pipeline-secret"]');
  });
});
