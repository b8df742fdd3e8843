// S3 implementations of the claim store and the lake store.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ClaimReader, ClaimStore, LakeStore } from '../../ports/ingest.ts';

export function s3ClaimStore(client: S3Client): ClaimStore & ClaimReader {
  return {
    async put(ref, body) {
      await client.send(
        new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentType: 'application/json' }),
      );
    },
    async get(ref) {
      const object = await client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      return object.Body!.transformToString('utf-8');
    },
    async size(ref) {
      const head = await client.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
      return head.ContentLength ?? 0;
    },
    async head(ref, maxBytes) {
      // A ranged GET: S3 sends at most maxBytes, and Content-Range tells the whole size.
      try {
        const object = await client.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, Range: `bytes=0-${maxBytes - 1}` }));
        const prefix = await object.Body!.transformToByteArray();
        const total = /\/(\d+)$/.exec(object.ContentRange ?? '')?.[1];
        return { prefix, bytes: total === undefined ? prefix.length : Number(total) };
      } catch (error) {
        // An empty object has no byte 0 to start a range at.
        if ((error as { name?: string }).name === 'InvalidRange') return { prefix: new Uint8Array(), bytes: 0 };
        throw error;
      }
    },
  };
}

export function s3LakeStore(client: S3Client, bucket: string): LakeStore {
  return {
    async put(object) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: object.key, Body: object.body, ContentType: object.contentType }),
      );
    },
  };
}
