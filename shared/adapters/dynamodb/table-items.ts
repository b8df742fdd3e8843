// The single-table layout (docs/design.md): keys and item <-> record mapping, in one place.
import { REJECTION_REASONS, type PipelineRecord, type RejectionCounts, type TokenRecord } from '../../domain/ingest/records.ts';
import type { RejectionBucket } from '../../domain/ingest/rejections.ts';
import { SIGNATURE_PROVIDERS, type StoredVerification } from '../../domain/ingest/signatures/settings.ts';
import type { AdminRecord } from '../../domain/credentials.ts';

import { key, num, str, type Item, type Key } from './attributes.ts';

export type { Item, Key };

export const PIPELINE_PK = 'PIPELINE';
export const TOKEN_PK = 'TOKEN';
export const ADMIN_PK = 'ADMIN';

/** Zero-padded so a Query on the collection returns pipelines in id order. */
export const pipelineKey = (id: number): Key => key(PIPELINE_PK, String(id).padStart(12, '0'));
export const tokenKey = (ingestKey: string): Key => key(TOKEN_PK, ingestKey);
export const adminKey = (id: string): Key => key(ADMIN_PK, id);
export const pipelineCounterKey = (): Key => key('COUNTER', 'pipeline');
/** Every item the processor writes lives under this partition key prefix (its IAM writes are limited to it). */
export const REJECTED_PK_PREFIX = 'REJECTED#';
export const rejectionCountsPk = (bucket: RejectionBucket): string => `${REJECTED_PK_PREFIX}${bucket}`;
export const rejectionCountsKey = (bucket: RejectionBucket, dt: string): Key => key(rejectionCountsPk(bucket), dt);
/** Sort keys of summary windows sort after every day (`YYYY-MM-DD`) of the same partition. */
export const SUMMARY_SK_PREFIX = 'WINDOW#';
export const rejectionSummaryKey = (pipelineId: number, windowStart: string): Key =>
  key(rejectionCountsPk(pipelineId), `${SUMMARY_SK_PREFIX}${windowStart}`);
/**
 * Rows landed per pipeline and day live in the pipeline's REJECTED# partition too (the only one
 * the processor may write), under `LANDED#<day>`: after every day (`9…` < `L`) and before the
 * summary windows (`L` < `W`), so neither range query sees the other's items.
 */
export const LANDED_SK_PREFIX = 'LANDED#';
export const landedCountsKey = (pipelineId: number, dt: string): Key => key(rejectionCountsPk(pipelineId), `${LANDED_SK_PREFIX}${dt}`);
/** The last possible day sort key: a day range query stops here, before the summary windows. */
export const LAST_DAY_SK = '9999-12-31';

export function pipelineToItem(record: PipelineRecord): Item {
  return {
    ...pipelineKey(record.id),
    id: { N: String(record.id) },
    name: { S: record.name },
    createdAt: { S: record.createdAt },
    ...(record.verification === undefined ? {} : verificationAttributes(record.verification)),
  };
}

/**
 * A pipeline's verification: `verification` S (JSON of the settings and the secret count, never a
 * secret) and `verificationSecrets` S (the ciphertext of the secrets).
 */
export function verificationAttributes(stored: StoredVerification): { verification: { S: string }; verificationSecrets: { S: string } } {
  const { secretsCiphertext, ...settings } = stored;
  return { verification: { S: JSON.stringify(settings) }, verificationSecrets: { S: secretsCiphertext } };
}

function itemToVerification(item: Item): StoredVerification | undefined {
  const settings = str(item, 'verification');
  const secretsCiphertext = str(item, 'verificationSecrets');
  if (settings === undefined || secretsCiphertext === undefined) return undefined;
  const parsed = JSON.parse(settings) as Omit<StoredVerification, 'secretsCiphertext'>;
  // Written by the API only; a provider this code does not know must not silently turn verification off.
  if (!(SIGNATURE_PROVIDERS as readonly string[]).includes(parsed.provider)) throw new Error(`pipeline ${str(item, 'id')}: unknown verification provider`);
  return { ...parsed, secretsCiphertext };
}

export function itemToPipeline(item: Item): PipelineRecord {
  const verification = itemToVerification(item);
  return {
    id: num(item, 'id')!,
    name: str(item, 'name') ?? '',
    createdAt: str(item, 'createdAt') ?? '',
    ...(verification === undefined ? {} : { verification }),
  };
}

export function tokenToItem(record: TokenRecord): Item {
  return {
    ...tokenKey(record.key),
    key: { S: record.key },
    name: { S: record.name },
    tokenSha256: { S: record.tokenSha256 },
    createdAt: { S: record.createdAt },
    ...(record.pipelines === undefined ? {} : { pipelines: { L: record.pipelines.map((id) => ({ N: String(id) })) } }),
    ...(record.revokedAt === undefined ? {} : { revokedAt: { S: record.revokedAt } }),
  };
}

export function itemToToken(item: Item): TokenRecord {
  const pipelines = item.pipelines?.L?.map((value) => Number(value.N));
  return {
    key: str(item, 'key')!,
    name: str(item, 'name') ?? '',
    tokenSha256: str(item, 'tokenSha256') ?? '',
    pipelines,
    createdAt: str(item, 'createdAt') ?? '',
    revokedAt: str(item, 'revokedAt'),
  };
}

export function adminToItem(record: AdminRecord): Item {
  return {
    ...adminKey(record.id),
    id: { S: record.id },
    name: { S: record.name },
    tokenSha256: { S: record.tokenSha256 },
    createdAt: { S: record.createdAt },
    ...(record.revokedAt === undefined ? {} : { revokedAt: { S: record.revokedAt } }),
  };
}

export function itemToAdmin(item: Item): AdminRecord {
  const revokedAt = str(item, 'revokedAt');
  return {
    id: str(item, 'id')!,
    name: str(item, 'name') ?? '',
    tokenSha256: str(item, 'tokenSha256') ?? '',
    createdAt: str(item, 'createdAt') ?? '',
    ...(revokedAt === undefined ? {} : { revokedAt }),
  };
}

export function itemToRejectionCounts(item: Item): RejectionCounts {
  const byReason: RejectionCounts['byReason'] = {};
  for (const reason of REJECTION_REASONS) {
    const count = num(item, reason);
    if (count !== undefined) byReason[reason] = count;
  }
  return {
    pipelineId: Number(str(item, 'pk')!.slice(REJECTED_PK_PREFIX.length)),
    dt: str(item, 'sk')!,
    total: num(item, 'total') ?? 0,
    byReason,
  };
}
