// Secrets at rest: destinations' signing secrets and custom header values, and pipelines'
// verification secrets. On AWS: KMS Encrypt/Decrypt with an EncryptionContext naming the id the
// secret belongs to, so a ciphertext copied onto another destination or pipeline does not
// decrypt, and IAM can grant each scope apart. Locally: AES-256-GCM (node:crypto) with the key
// from HOOKLAKE_LOCAL_SECRET_KEY and the same id as additional authenticated data. The stored text
// names its scheme: `kms:v1:<base64 blob>` or `aesgcm:v1:<base64 iv(12) | tag(16) | ciphertext>`.
//
// The context of a destination (a subscription or a sync) is {subscriptionId: "<id>"} and its
// local data the bare id, as every existing ciphertext was sealed; a pipeline's is
// {pipelineId: "<id>"} (locally `pipelineId:<id>`), so neither kind opens as the other.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { AwsConfig, SecretsConfig } from '../../config.ts';
import type { SecretCipher } from '../../ports/delivery.ts';
import { kmsClient } from '../clients/kms.ts';

const AES_PREFIX = 'aesgcm:v1:';
const KMS_PREFIX = 'kms:v1:';

export class SecretCipherError extends Error {
  override name = 'SecretCipherError';
}

/** Whose secrets a cipher seals: a destination's, or a pipeline's verification secrets. */
export type SecretScope = 'destination' | 'pipeline';

/**
 * The KMS EncryptionContext key of each scope: a stored fact (existing ciphertexts are bound to it,
 * and the stack's IAM conditions name it: infra/constructs/encryption-context.ts).
 */
export const ENCRYPTION_CONTEXT_KEYS = { destination: 'subscriptionId', pipeline: 'pipelineId' } as const satisfies Record<SecretScope, string>;
export type EncryptionContextKey = (typeof ENCRYPTION_CONTEXT_KEYS)[SecretScope];
const CONTEXT_KEY = ENCRYPTION_CONTEXT_KEYS;

/** Local additional data: the bare id for destinations (as stored so far), `pipelineId:<id>` for pipelines. */
const aadOf = (scope: SecretScope, id: string) => (scope === 'destination' ? id : `${CONTEXT_KEY[scope]}:${id}`);

export function aesGcmSecretCipher(base64Key: string, scope: SecretScope = 'destination'): SecretCipher {
  const key = Buffer.from(base64Key, 'base64');
  if (key.length !== 32) throw new SecretCipherError('the local secret key is base64 of 32 bytes');
  return {
    async encrypt(plaintext, boundTo) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aadOf(scope, boundTo), 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return AES_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    async decrypt(ciphertext, boundTo) {
      if (!ciphertext.startsWith(AES_PREFIX)) throw new SecretCipherError('not an aesgcm:v1 ciphertext');
      const raw = Buffer.from(ciphertext.slice(AES_PREFIX.length), 'base64');
      if (raw.length < 29) throw new SecretCipherError('ciphertext too short');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(aadOf(scope, boundTo), 'utf8'));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretCipherError('the secret does not decrypt with this key for this subscription');
      }
    },
  };
}

export function kmsSecretCipher(client: KMSClient, keyId: string, scope: SecretScope = 'destination'): SecretCipher {
  const context = (id: string) => ({ [CONTEXT_KEY[scope]]: id });
  return {
    async encrypt(plaintext, boundTo) {
      const { CiphertextBlob } = await client.send(
        new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext, 'utf8'), EncryptionContext: context(boundTo) }),
      );
      if (CiphertextBlob === undefined) throw new SecretCipherError('KMS returned no ciphertext');
      return KMS_PREFIX + Buffer.from(CiphertextBlob).toString('base64');
    },
    async decrypt(ciphertext, boundTo) {
      if (!ciphertext.startsWith(KMS_PREFIX)) throw new SecretCipherError('not a kms:v1 ciphertext');
      const { Plaintext } = await client.send(
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: Buffer.from(ciphertext.slice(KMS_PREFIX.length), 'base64'),
          EncryptionContext: context(boundTo),
        }),
      );
      if (Plaintext === undefined) throw new SecretCipherError('KMS returned no plaintext');
      return Buffer.from(Plaintext).toString('utf8');
    },
  };
}

/** KMS when a key id is configured, else the local AES key; undefined when neither is. */
export function secretCipherFromConfig(aws: AwsConfig, secrets: SecretsConfig | undefined, scope: SecretScope = 'destination'): SecretCipher | undefined {
  if (secrets?.kmsKeyId !== undefined) return kmsSecretCipher(kmsClient(aws), secrets.kmsKeyId, scope);
  if (secrets?.localKey !== undefined) return aesGcmSecretCipher(secrets.localKey, scope);
  return undefined;
}
