// IAM conditions for KMS calls on the secrets key: the one encryption-context key the adapters
// pass (shared/adapters/crypto/secret-cipher.ts), with a value matching a pattern, and no other key.
import type { EncryptionContextKey } from '../../shared/adapters/crypto/secret-cipher.ts';

/**
 * StringLike on the key's value requires the key to be present and to match; ForAllValues on
 * kms:EncryptionContextKeys allows no other key beside it, so a grant for one context cannot be
 * stretched by adding a second key to a request.
 */
export function encryptionContextCondition(key: EncryptionContextKey, valuePattern: string): Record<string, Record<string, string | string[]>> {
  return {
    StringLike: { [`kms:EncryptionContext:${key}`]: valuePattern },
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [key] },
  };
}
