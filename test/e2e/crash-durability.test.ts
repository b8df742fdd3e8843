// Crash durability of the local stack: `node infra/local/main.ts` is killed with SIGKILL in the
// middle of concurrent load, started again on the same data dir, and every request that was
// answered 200 before the kill is in the lake afterwards (webhooks_raw, every stored row).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { Pool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { queryLake } from '../../shared/adapters/duckdb/lake-query.ts';
import { eventually } from '../support/stack.ts';
import { startStackProcess, stopStackProcess, type StackProcess } from '../support/stack-process.ts';

const REQUESTS = 600;
const SENDERS = 20;
/** The kill comes once this many requests were answered 200, well inside the load. */
const KILL_AFTER_ACCEPTED = 150;

const root = mkdtempSync(join(tmpdir(), 'hooklake-crash-'));
const dataDir = join(root, 'data');
let first: StackProcess | undefined;
let second: StackProcess | undefined;

afterAll(async () => {
  first?.child.kill('SIGKILL');
  await stopStackProcess(second);
  rmSync(root, { recursive: true, force: true });
});

async function admin<T>(stack: StackProcess, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${stack.info.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.info.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

describe('crash durability of the local stack', () => {
  it(`every request answered 200 before a kill -9 in the middle of ${REQUESTS} concurrent requests lands after a restart`, async () => {
    first = await startStackProcess({ dataDir });
    const { pipeline_id: pipelineId } = await admin<{ pipeline_id: number }>(first, '/v4/pipelines', { name: 'crash' });
    const { key, token } = await admin<{ key: string; token: string }>(first, '/v4/tokens', { name: 'crash' });

    const accepted: string[] = [];
    let failed = 0;
    let next = 0;
    let killed = false;
    const victim = first;
    const pool = new Pool(new URL(victim.info.apiUrl).origin, { connections: SENDERS, pipelining: 1 });
    const path = `/?pipeline_id=${pipelineId}&key=${key}&token=${token}`;
    try {
      await Promise.all(
        Array.from({ length: SENDERS }, async (_, sender) => {
          while (next < REQUESTS) {
            const n = next++;
            try {
              const response = await pool.request({
                method: 'POST',
                path,
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify({ sender, n }),
              });
              const reply = (await response.body.json()) as { success: boolean; data?: { __kdd_request_id: string } };
              if (response.statusCode !== 200) throw new Error(`status ${response.statusCode}`);
              accepted.push(reply.data!.__kdd_request_id);
            } catch {
              failed++; // the process is gone (or going): this sender stops
              return;
            }
            if (!killed && accepted.length >= KILL_AFTER_ACCEPTED) {
              killed = true;
              victim.child.kill('SIGKILL');
            }
          }
        }),
      );
    } finally {
      await pool.destroy();
    }
    expect(await victim.exited).toBe('SIGKILL');
    // The kill came in the middle: requests were accepted before it and refused after it.
    expect(accepted.length).toBeGreaterThanOrEqual(KILL_AFTER_ACCEPTED);
    expect(failed).toBeGreaterThan(0);
    expect(accepted.length).toBeLessThan(REQUESTS);

    second = await startStackProcess({ dataDir });
    expect(second.info.adminToken).toBe(victim.info.adminToken); // same state, not a fresh one
    const s3 = new S3Client({
      region: second.info.region,
      endpoint: second.info.endpoints.s3,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const landedIds = async () => {
      const { rows } = await queryLake({
        s3,
        bucket: second!.info.resources.lakeBucket,
        origin: second!.info.endpoints.s3,
        cacheDir: join(root, 'lake-cache'),
        sql: `select distinct __kdd_request_id as id from webhooks_raw where pipeline_id = ${pipelineId}`,
        pipelineId,
      });
      return new Set(rows.map((row) => String(row.id)));
    };
    try {
      // Messages the dead processor had received come back after their visibility timeout (5 s).
      const landed = await eventually(
        async () => {
          const ids = await landedIds();
          return accepted.every((id) => ids.has(id)) ? ids : undefined;
        },
        20_000,
        'every accepted request to land after the restart',
      ).catch(async (error: unknown) => {
        const ids = await landedIds();
        throw new Error(`${String(error)}; missing ${accepted.filter((id) => !ids.has(id)).length} of ${accepted.length}`);
      });
      expect(accepted.filter((id) => !landed.has(id))).toEqual([]);
    } finally {
      s3.destroy();
    }
  }, 60_000);
});
