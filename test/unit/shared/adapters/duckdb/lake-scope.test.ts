// Which days and columns a query reads, found by DuckDB's planner over a skeleton lake: exact for
// what hive filters bound, everything for what they do not (a subquery, a time filter alone).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakeScope, writeSkeleton } from '../../../../../shared/adapters/duckdb/lake-scope.ts';
import type { Partition } from '../../../../../shared/domain/lake/objects.ts';

const days = Array.from({ length: 40 }, (_, i) => new Date(Date.UTC(2026, 9, 1 + i)).toISOString().slice(0, 10));
const partitions: Partition[] = [1, 2].flatMap((pipelineId) => days.map((dt) => ({ pipelineId, dt })));
let dir: string;
let instance: DuckDBInstance;
let connection: DuckDBConnection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hooklake-scope-'));
  await writeSkeleton(dir, partitions);
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});
afterAll(() => {
  connection?.closeSync();
  instance?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

const scope = (sql: string) => lakeScope(connection, { sql, dir, partitions });
const names = (found: Partition[]) => found.map((partition) => `${partition.pipelineId}/${partition.dt}`).sort();

describe('lake scope', () => {
  it('keeps only the days and pipelines a hive filter lets through', async () => {
    expect(names((await scope("select count(*) from webhooks where pipeline_id = 2 and dt = '2026-10-05'")).partitions)).toEqual(['2/2026-10-05']);
    expect(names((await scope("select * from webhooks where dt between '2026-11-01' and '2026-11-03' and pipeline_id = 1")).partitions)).toEqual(['1/2026-11-01', '1/2026-11-02', '1/2026-11-03']);
    expect((await scope("select * from webhooks_raw where dt >= '2026-11-08'")).partitions).toHaveLength(4);
    expect(names((await scope("select * from webhooks where dt in ('2026-10-01', '2026-10-20') and pipeline_id = 1")).partitions)).toEqual(['1/2026-10-01', '1/2026-10-20']);
    expect((await scope('select * from webhooks where pipeline_id = 1')).partitions).toHaveLength(40);
    expect((await scope("select * from webhooks where dt = '2001-01-01'")).partitions).toEqual([]);
    // A view over webhooks, a CTE, a join of two days: still bounded.
    expect(names((await scope("with a as (select * from webhooks where dt = '2026-10-02' and pipeline_id = 1) select * from a join webhooks b using (__kdd_request_id) where b.dt = '2026-10-03' and b.pipeline_id = 1")).partitions)).toEqual(['1/2026-10-02', '1/2026-10-03']);
  });

  it('reads every day when the plan cannot bound them, or when the SQL does not plan', async () => {
    expect((await scope('select * from webhooks where dt = (select max(dt) from webhooks)')).partitions).toHaveLength(80);
    expect((await scope('select * from webhooks where __kdd_request_unix_timestamp > 1790000000')).partitions).toHaveLength(80);
    expect(await scope('selec 1')).toEqual({ partitions, columns: 'all' });
  });

  it("finds the columns it reads (the deduplication's always), all of them for select *", async () => {
    expect((await scope("select count(*) from webhooks where dt = '2026-10-05'")).columns).toEqual(['__kdd_request_id', '__kdd_request_unix_timestamp']);
    expect((await scope("select json_extract_string(__kdd_request_body, '$.a') from webhooks where __hl_request_method = 'GET'")).columns).toEqual([
      '__kdd_request_id',
      '__kdd_request_unix_timestamp',
      '__kdd_request_body',
      '__hl_request_method',
    ]);
    expect((await scope('select * from webhooks')).columns).toEqual([
      '__kdd_request_id',
      '__kdd_request_unix_timestamp',
      '__kdd_requester_key',
      '__kdd_request_body',
      '__hl_request_method',
      '__hl_request_headers',
      '__hl_request_query',
      '__hl_provider_delivery_id',
    ]);
  });
});
