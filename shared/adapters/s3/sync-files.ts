// Where syncs keep their files in the lake bucket, and removing a deleted sync's files. No DuckDB
// here: the management API (SyncService) needs only this, not the query engine.
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { RunRef } from '../../ports/syncs.ts';

/** Every durable file of syncs lives under this prefix of the lake bucket. */
export const SYNC_FILES_PREFIX = 'syncs/';
export const snapshotObjectKey = (syncId: string) => `${SYNC_FILES_PREFIX}${syncId}/snapshot.parquet`;
export const opsObjectKey = (ref: RunRef) => `${SYNC_FILES_PREFIX}${ref.syncId}/runs/${ref.runId}/ops.parquet`;

export interface SyncFiles {
  /** Drops every file of a deleted sync (its snapshot, the row-ops of an unfinished run). */
  deleteSync(syncId: string): Promise<void>;
}

export function s3SyncFiles(s3: S3Client, bucket: string): SyncFiles {
  return {
    async deleteSync(syncId) {
      const prefix = `${SYNC_FILES_PREFIX}${syncId}/`;
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
        }
        token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    },
  };
}
