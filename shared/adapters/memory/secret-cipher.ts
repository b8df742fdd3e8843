import type { SecretCipher } from '../../ports/delivery.ts';

/** Reversible, clearly-not-secure stand-in: tests check the store never holds the plain secret. */
export function memorySecretCipher(): SecretCipher {
  return {
    async encrypt(plaintext, boundTo) {
      return `mem:${boundTo}:${Buffer.from(plaintext, 'utf8').toString('hex')}`;
    },
    async decrypt(ciphertext, boundTo) {
      const prefix = `mem:${boundTo}:`;
      if (!ciphertext.startsWith(prefix)) throw new Error('ciphertext belongs to another id');
      return Buffer.from(ciphertext.slice(prefix.length), 'hex').toString('utf8');
    },
  };
}
