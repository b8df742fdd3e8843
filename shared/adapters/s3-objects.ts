// S3 implementations of the claim store and the lake store.
import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { AwsConfig } from '../config.ts';
import type { ClaimStore, LakeStore } from '../ports/ingest.ts';
import { clientOptions } from './aws-clients.ts';

export function createS3Client(aws: AwsConfig): S3Client {
  const options: S3ClientConfig = clientOptions(aws, aws.endpoints.s3);
  // Emulators serve path-style URLs only.
  return new S3Client(aws.endpoints.s3 === undefined ? options : { ...options, forcePathStyle: true });
}

export function s3ClaimStore(client: S3Client): ClaimStore {
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
