// The transport's own SigV4 signer writes exactly the headers the SDK's signer
// (@smithy/signature-v4) writes for the same request: same date, credentials, region, body.
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amzDate, sigV4Signer, type SigningCredentials } from '../../../../../shared/adapters/sqs/sigv4.ts';

/** What the SDK's signer hands its hash: text or bytes. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: SourceData) =>
  typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** SHA-256 or HMAC-SHA-256 over node:crypto, as the SDK's signer asks for it. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
  reset(): void {}
}

async function sdkHeaders(credentials: SigningCredentials, region: string, host: string, headers: Record<string, string>, body: string, date: Date) {
  const signer = new SignatureV4({ service: 'sqs', region, credentials, sha256: Sha256 });
  const [hostname, port] = host.split(':');
  const signed = await signer.sign(
    { method: 'POST', protocol: 'https:', hostname: hostname!, ...(port === undefined ? {} : { port: Number(port) }), path: '/', query: {}, headers, body },
    { signingDate: date },
  );
  return signed.headers;
}

const requestHeaders = (host: string, target: string, body: string) => ({
  host,
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': `AmazonSQS.${target}`,
  'content-length': String(Buffer.byteLength(body, 'utf8')),
});

describe('sigV4Signer', () => {
  it('writes the headers @smithy/signature-v4 writes, with and without a session token', async () => {
    const body = JSON.stringify({ QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/ingest', MessageBody: 'héllo 🌍 "x"\n' });
    const date = new Date('2026-12-07T12:34:56.789Z');
    for (const credentials of [
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ==' },
    ]) {
      const headers = requestHeaders('sqs.eu-west-1.amazonaws.com', 'SendMessage', body);
      const ours = sigV4Signer(credentials, 'eu-west-1', 'sqs')(headers, body, date);
      expect(ours).toEqual(await sdkHeaders(credentials, 'eu-west-1', 'sqs.eu-west-1.amazonaws.com', headers, body, date));
      expect(ours['x-amz-date']).toBe('20261207T123456Z');
      expect(headers).not.toHaveProperty('authorization'); // the caller's headers are left alone
    }
  });

  it('agrees with the SDK over any body, host, region, operation and time, one signer across days', async () => {
    const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret/key+1', sessionToken: 'token' };
    const signers = new Map<string, ReturnType<typeof sigV4Signer>>();
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'grapheme', maxLength: 300 }),
        fc.constantFrom('127.0.0.1:4566', 'localhost:9324', 'sqs.us-east-1.amazonaws.com'),
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2'),
        fc.constantFrom('SendMessage', 'SendMessageBatch', 'ReceiveMessage', 'DeleteMessageBatch'),
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        async (text, host, region, target, date) => {
          const body = JSON.stringify({ QueueUrl: `http://${host}/000000000000/q`, MessageBody: text });
          const headers = requestHeaders(host, target, body);
          let sign = signers.get(region);
          if (sign === undefined) signers.set(region, (sign = sigV4Signer(credentials, region, 'sqs')));
          expect(sign(headers, body, date)).toEqual(await sdkHeaders(credentials, region, host, headers, body, date));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('canonicalizes header values as SigV4 does: trimmed, inner runs of blanks as one space', async () => {
    const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: '  padded\ttoken  ' };
    const body = '{}';
    const date = new Date('2026-01-02T03:04:05Z');
    const headers = { ...requestHeaders('127.0.0.1:4566', 'SendMessage', body), 'content-type': ' application/x-amz-json-1.0  ' };
    expect(sigV4Signer(credentials, 'us-east-1', 'sqs')(headers, body, date)).toEqual(await sdkHeaders(credentials, 'us-east-1', '127.0.0.1:4566', headers, body, date));
  });

  it('turns line breaks inside a header value into one space, as SigV4 does', async () => {
    const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'line\nbroken\r\ntoken' };
    const body = '{}';
    const date = new Date('2026-01-02T03:04:05Z');
    const headers = { ...requestHeaders('127.0.0.1:4566', 'SendMessage', body), 'content-type': 'application/x-amz-json-1.0;\ncharset=utf-8' };
    const signed = sigV4Signer(credentials, 'us-east-1', 'sqs')(headers, body, date);
    expect(signed).toEqual(await sdkHeaders(credentials, 'us-east-1', '127.0.0.1:4566', headers, body, date));
  });

  it('writes x-amz-date in whole seconds, UTC', () => {
    expect(amzDate(new Date('1999-12-31T23:59:59.999Z'))).toBe('19991231T235959Z');
    expect(amzDate(new Date('2026-03-04T05:06:07.000Z'))).toBe('20260304T050607Z');
  });
});
