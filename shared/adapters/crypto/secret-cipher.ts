// Signing secrets at rest. On AWS: KMS Encrypt/Decrypt with EncryptionContext
// {subscriptionId}, so a ciphertext copied onto another subscription does not decrypt. Locally:
// AES-256-GCM (node:crypto) with the key from HOOKLAKE_LOCAL_SECRET_KEY and the subscription id as
// additional authenticated data. A pipeline's verification secrets (issue 10) use the same key
// under their own context, {pipelineId: "<id>"} (locally the data `pipelineId:<id>`), so neither
// kind of ciphertext opens as the other and IAM can grant each context apart. The stored text names its scheme: `kms:v1:<base64 blob>` or
// `aesgcm:v1:<base64 iv(12) | tag(16) | ciphertext>`.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { AwsConfig, SecretsConfig } from '../../config.ts';
import type { SecretCipher } from '../../ports/delivery.ts';

const AES_PREFIX = 'aesgcm:v1:';
const KMS_PREFIX = 'kms:v1:';

export class SecretCipherError extends Error {
  override name = 'SecretCipherError';
}

/** The encryption context's key: subscriptions (and syncs) use `subscriptionId`, pipelines `pipelineId`. */
export type CipherContextKey = 'subscriptionId' | 'pipelineId';

/** Local additional data: the bare id for subscriptions (as stored so far), `<key>:<id>` otherwise. */
const aadOf = (contextKey: CipherContextKey, id: string) => (contextKey === 'subscriptionId' ? id : `${contextKey}:${id}`);

export function aesGcmSecretCipher(base64Key: string, contextKey: CipherContextKey = 'subscriptionId'): SecretCipher {
  const key = Buffer.from(base64Key, 'base64');
  if (key.length !== 32) throw new SecretCipherError('the local secret key is base64 of 32 bytes');
  return {
    async encrypt(secret, subscriptionId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(aadOf(contextKey, subscriptionId), 'utf8'));
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return AES_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    async decrypt(ciphertext, subscriptionId) {
      if (!ciphertext.startsWith(AES_PREFIX)) throw new SecretCipherError('not an aesgcm:v1 ciphertext');
      const raw = Buffer.from(ciphertext.slice(AES_PREFIX.length), 'base64');
      if (raw.length < 29) throw new SecretCipherError('ciphertext too short');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(aadOf(contextKey, subscriptionId), 'utf8'));
      decipher.setAuthTag(raw.subarray(12, 28));
      try {
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretCipherError('the secret does not decrypt with this key for this subscription');
      }
    },
  };
}

export function kmsSecretCipher(client: KMSClient, keyId: string, contextKey: CipherContextKey = 'subscriptionId'): SecretCipher {
  const context = (id: string) => ({ [contextKey]: id });
  return {
    async encrypt(secret, subscriptionId) {
      const { CiphertextBlob } = await client.send(
        new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(secret, 'utf8'), EncryptionContext: context(subscriptionId) }),
      );
      if (CiphertextBlob === undefined) throw new SecretCipherError('KMS returned no ciphertext');
      return KMS_PREFIX + Buffer.from(CiphertextBlob).toString('base64');
    },
    async decrypt(ciphertext, subscriptionId) {
      if (!ciphertext.startsWith(KMS_PREFIX)) throw new SecretCipherError('not a kms:v1 ciphertext');
      const { Plaintext } = await client.send(
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: Buffer.from(ciphertext.slice(KMS_PREFIX.length), 'base64'),
          EncryptionContext: context(subscriptionId),
        }),
      );
      if (Plaintext === undefined) throw new SecretCipherError('KMS returned no plaintext');
      return Buffer.from(Plaintext).toString('utf8');
    },
  };
}

/** KMS when a key id is configured, else the local AES key; undefined when neither is. */
export function secretCipherFromConfig(
  aws: AwsConfig,
  secrets: SecretsConfig | undefined,
  contextKey: CipherContextKey = 'subscriptionId',
): SecretCipher | undefined {
  if (secrets?.kmsKeyId !== undefined) return kmsSecretCipher(new KMSClient({ region: aws.region }), secrets.kmsKeyId, contextKey);
  if (secrets?.localKey !== undefined) return aesGcmSecretCipher(secrets.localKey, contextKey);
  return undefined;
}
