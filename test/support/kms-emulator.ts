// A KMS endpoint for tests that run deployed bundles (no KMS emulator exists among the project's
// emulators): the JSON 1.1 protocol of Encrypt and Decrypt, as the AWS SDK speaks it, with AES-GCM
// under a key of its own and the encryption context bound as additional data, so a ciphertext
// opens only under the context it was made with (InvalidCiphertextException otherwise, as KMS).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';

export interface KmsCall {
  operation: 'Encrypt' | 'Decrypt';
  keyId: string | undefined;
  encryptionContext: Record<string, string>;
}

export interface KmsEmulator {
  endpoint: string;
  keyArn: string;
  calls: KmsCall[];
  close(): Promise<void>;
}

export async function startKmsEmulator(host = '127.0.0.1'): Promise<KmsEmulator> {
  const key = randomBytes(32);
  const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000001';
  const calls: KmsCall[] = [];
  const aad = (context: Record<string, string>) =>
    Buffer.from(JSON.stringify(Object.keys(context).sort().map((name) => [name, context[name]])));

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = (status: number, body: unknown) =>
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
      const operation = String(request.headers['x-amz-target'] ?? '').replace('TrentService.', '');
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        KeyId?: string;
        Plaintext?: string;
        CiphertextBlob?: string;
        EncryptionContext?: Record<string, string>;
      };
      const context = input.EncryptionContext ?? {};
      if (operation === 'Encrypt') {
        calls.push({ operation, keyId: input.KeyId, encryptionContext: context });
        const iv = randomBytes(12);
        const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(context));
        const sealed = Buffer.concat([cipher.update(Buffer.from(input.Plaintext ?? '', 'base64')), cipher.final()]);
        return reply(200, { CiphertextBlob: Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64'), KeyId: keyArn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      }
      if (operation === 'Decrypt') {
        calls.push({ operation, keyId: input.KeyId, encryptionContext: context });
        try {
          const blob = Buffer.from(input.CiphertextBlob ?? '', 'base64');
          const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(0, 12)).setAAD(aad(context));
          decipher.setAuthTag(blob.subarray(12, 28));
          const plain = Buffer.concat([decipher.update(blob.subarray(28)), decipher.final()]);
          return reply(200, { Plaintext: plain.toString('base64'), KeyId: keyArn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
        } catch {
          return reply(400, { __type: 'InvalidCiphertextException', message: 'The ciphertext does not open under this encryption context' });
        }
      }
      return reply(400, { __type: 'UnsupportedOperationException', message: `${operation} is not emulated` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://${host}:${port}`,
    keyArn,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
