// Lake objects to and from local files: whole downloads through a temporary file (readers never see
// half an object), ranged downloads into a sparse file (only the byte ranges a query reads take
// disk), and uploads in parts above 8 MiB (S3 takes single PUTs up to 5 GB, but the local
// emulator refuses one over ~11 MiB).
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { forEachBounded } from '../../domain/concurrency.ts';

/** The object is not there (deleted since it was listed, e.g. an input compacted away). */
export function isNoSuchKey(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** Downloads an object to `path` through a temporary file; returns its size. */
export async function downloadToFile(s3: S3Client, bucket: string, key: string, path: string): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(6).toString('hex')}.partial`;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (object.Body === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
    await pipeline(object.Body as Readable, createWriteStream(temporary));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return (await stat(path)).size;
}

/** Bytes `[start, end)` of an object. */
export async function readRange(s3: S3Client, bucket: string, key: string, start: number, end: number): Promise<Uint8Array> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }));
  return object.Body!.transformToByteArray();
}

/**
 * Writes the given byte ranges of an object into `path` at their offsets, in a file of the object's
 * size: the rest are holes (no disk blocks), which a Parquet reader never reads when the ranges hold
 * the footer and the column chunks it needs. Ranges already in the file (`present`) are not fetched
 * again. Returns the bytes fetched.
 */
export async function downloadRangesToFile(
  s3: S3Client,
  bucket: string,
  key: string,
  size: number,
  ranges: readonly { start: number; end: number }[],
  path: string,
  concurrency = 4,
): Promise<number> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'r+').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return open(path, 'w+');
    throw error;
  });
  let fetched = 0;
  try {
    if ((await handle.stat()).size !== size) await handle.truncate(size);
    await forEachBounded(ranges, concurrency, async (range) => {
      const bytes = await readRange(s3, bucket, key, range.start, range.end);
      if (bytes.length !== range.end - range.start) throw new Error(`s3://${bucket}/${key}: got ${bytes.length} bytes of the range ${range.start}-${range.end}`);
      await handle.write(bytes, 0, bytes.length, range.start);
      fetched += bytes.length;
    });
  } finally {
    await handle.close();
  }
  return fetched;
}

const PART_BYTES = 8 * 1024 * 1024;

/** Uploads a local file: one PUT up to 8 MiB, parts of 8 MiB above. */
export async function uploadFile(s3: S3Client, bucket: string, key: string, path: string, contentType: string): Promise<void> {
  const { size } = await stat(path);
  if (size <= PART_BYTES) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(path), ContentLength: size, ContentType: contentType }));
    return;
  }
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }));
  try {
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let start = 0, number = 1; start < size; start += PART_BYTES, number++) {
      const end = Math.min(size, start + PART_BYTES);
      const part = await s3.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber: number,
          Body: createReadStream(path, { start, end: end - 1 }),
          ContentLength: end - start,
        }),
      );
      parts.push({ ETag: part.ETag!, PartNumber: number });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
  } catch (error) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw error;
  }
}
