// Starts an in-memory local stack on free ports and gives tests the calls a user would make.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { cachedPipelineIds, queryCache, syncLake, type JsonValue } from '../../shared/adapters/duckdb/lake-query.ts';
import { schemaFromJson, type PipelineSchemaJson } from '../../shared/api/schema.ts';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../infra/local/stack.ts';
import { sharedConformanceChecker } from './openapi-conformance.ts';
import { s3Client } from '../../shared/adapters/clients/s3.ts';

export interface TestStack extends LocalStack {
  /** A management API call with the stack's admin credential; its answer is checked against the OpenAPI document. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  createPipeline(name?: string): Promise<number>;
  createToken(pipelines?: number[]): Promise<{ key: string; token: string }>;
  webhookUrl(pipelineId: number, key: string, token: string, extra?: string): string;
  /** An S3 client for the stack's bucket (fauxqs), for tests that read the lake's objects. */
  s3: S3Client;
  /** SQL over the lake through DuckDB, as `hooklake query` runs it (typed views pipeline_<N> from the API's schemas). */
  query(sql: string, options?: { raw?: boolean }): Promise<Record<string, JsonValue>[]>;
  dispose(): Promise<void>;
}

export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const stack = await startLocalStack({ port: 0, batchWindowMs: 100, ...options });
  const { info } = stack;
  const cacheDir = mkdtempSync(join(tmpdir(), 'hooklake-cache-'));
  const s3 = s3Client({ region: info.region, endpoints: info.endpoints });

  async function admin<T>(method: string, path: string, body?: unknown) {
    const response = await fetch(`${info.apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${info.adminToken}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    // Every answer must be one the OpenAPI document promises (openapi-conformance.ts).
    (await sharedConformanceChecker()).check({ method, path, status: response.status, headers: response.headers, body: text });
    return { status: response.status, body: JSON.parse(text) as T };
  }

  return {
    ...stack,
    admin,
    s3,
    async createPipeline(name = 'test') {
      const { status, body } = await admin<{ pipeline_id: number }>('POST', '/v4/pipelines', { name });
      if (status !== 201) throw new Error(`create pipeline: ${status} ${JSON.stringify(body)}`);
      return body.pipeline_id;
    },
    async createToken(pipelines) {
      const { status, body } = await admin<{ key: string; token: string }>('POST', '/v4/tokens', {
        name: 'test',
        ...(pipelines === undefined ? {} : { pipelines }),
      });
      if (status !== 201) throw new Error(`create token: ${status} ${JSON.stringify(body)}`);
      return body;
    },
    webhookUrl: (pipelineId, key, token, extra = '') =>
      `${info.inboundUrl}/?pipeline_id=${pipelineId}&key=${key}&token=${token}${extra}`,
    async query(sql, queryOptions = {}) {
      await syncLake({ s3, bucket: info.resources.lakeBucket, origin: info.endpoints.s3, cacheDir });
      const schemas = [];
      for (const id of await cachedPipelineIds(cacheDir)) {
        const answer = await admin<PipelineSchemaJson>('GET', `/v4/pipelines/${id}/schema`);
        if (answer.status === 200) schemas.push(schemaFromJson(answer.body));
      }
      return (await queryCache({ cacheDir, sql, raw: queryOptions.raw, schemas })).rows;
    },
    async dispose() {
      s3.destroy();
      await stack.stop();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: string, contentType = 'application/json') {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
