// S3 side of the request inspector (request-inspector.ts): lists and reads the lake bucket's
// `webhooks/` and `quarantine/` objects (the api function's s3:ListBucket and s3:GetObject).
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { LakeReader } from '../../ports/inspector.ts';

export function s3LakeReader(client: S3Client, bucket: string): LakeReader {
  return {
    async list(prefix, options) {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          MaxKeys: options.maxKeys,
          ...(options.continuation === undefined ? {} : { ContinuationToken: options.continuation }),
          ...(options.startAfter === undefined ? {} : { StartAfter: options.startAfter }),
        }),
      );
      return {
        objects: (page.Contents ?? [])
          .filter((object) => object.Key !== undefined)
          .map((object) => ({ key: object.Key!, size: object.Size ?? 0, lastModifiedMs: object.LastModified?.getTime() ?? 0 })),
        continuation: page.IsTruncated === true ? page.NextContinuationToken : undefined,
      };
    },
    async read(key, range) {
      const object = await client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(range === undefined || range.end <= range.start ? {} : { Range: `bytes=${range.start}-${range.end - 1}` }),
        }),
      );
      return object.Body!.transformToByteArray();
    },
  };
}
