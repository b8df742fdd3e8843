import { describe, expect, it } from 'vitest';
import { authorizeIngest } from '../../../../../shared/domain/ingest/authorize.ts';
import { sha256Hex } from '../../../../../shared/domain/credentials.ts';
import type { PipelineRecord, TokenRecord } from '../../../../../shared/domain/ingest/records.ts';

describe('authorizeIngest', () => {
  const token: TokenRecord = { key: 'k', name: 'n', tokenSha256: sha256Hex('secret'), createdAt: '' };
  const pipeline: PipelineRecord = { id: 5, name: 'p', createdAt: '' };
  const request = { pipelineId: 5, tokenSha256: sha256Hex('secret') };

  it.each([
    ['valid', request, token, pipeline, { ok: true }],
    ['unknown key', request, undefined, pipeline, { ok: false, reason: 'unknown_key' }],
    ['wrong token', { ...request, tokenSha256: sha256Hex('other') }, token, pipeline, { ok: false, reason: 'wrong_token' }],
    ['revoked', request, { ...token, revokedAt: '2026-01-01' }, pipeline, { ok: false, reason: 'revoked_token' }],
    ['wrong token on a revoked key', { ...request, tokenSha256: sha256Hex('x') }, { ...token, revokedAt: 'x' }, pipeline, { ok: false, reason: 'wrong_token' }],
    ['unknown pipeline', request, token, undefined, { ok: false, reason: 'unknown_pipeline' }],
    ['scoped elsewhere', request, { ...token, pipelines: [6] }, pipeline, { ok: false, reason: 'pipeline_not_allowed' }],
    ['scoped here', request, { ...token, pipelines: [6, 5] }, pipeline, { ok: true }],
  ] as [string, typeof request, TokenRecord | undefined, PipelineRecord | undefined, object][])('%s', (_name, req, tok, pipe, expected) => {
    expect(authorizeIngest(req, tok, pipe)).toEqual(expected);
  });
});
