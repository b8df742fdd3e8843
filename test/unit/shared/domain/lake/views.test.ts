import { describe, expect, it } from 'vitest';
import { partitionOf, quarantineObjectKey, webhooksObjectKey } from '../../../../../shared/domain/lake/objects.ts';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { athenaPipelineViewSql } from '../../../../../shared/domain/lake/schema-views.ts';
import { emptySchema } from '../../../../../shared/domain/lake/schema.ts';
import {
  deliveryDedupSql,
  lakeFilesOf,
  requestCopyRankSql,
  requestDedupSql,
  WEBHOOKS_OBJECT_KEY,
  WEBHOOK_VIEW_COLUMNS,
  webhookViewStatements,
} from '../../../../../shared/domain/lake/views.ts';

describe('lake views', () => {
  it('the reader accepts the webhooks keys the processor writes and ignores quarantine and stray objects', () => {
    const partition = partitionOf(42, Date.UTC(2026, 10, 3) / 1000);
    const key = webhooksObjectKey(partition, [{ id: 'abc', ts: Date.UTC(2026, 10, 3) / 1000 }]);
    expect(WEBHOOKS_OBJECT_KEY.exec(key)?.slice(1, 3)).toEqual(['42', '2026-11-03']);
    expect(WEBHOOKS_OBJECT_KEY.test(quarantineObjectKey(partition, [{ id: 'abc', ts: Date.UTC(2026, 10, 3) / 1000 }]))).toBe(false);
    expect(WEBHOOKS_OBJECT_KEY.test(`${key}.partial`)).toBe(false);
    expect(WEBHOOKS_OBJECT_KEY.test('webhooks/pipeline_id=42/notes.parquet')).toBe(false);
  });

  it('quotes the Parquet paths as SQL string literals', () => {
    const [compacted, recent] = webhookViewStatements({ compacted: ["/tmp/it's/a.hour.parquet"], recent: ["/tmp/it's/*[!r].parquet"] });
    expect(compacted).toContain("read_parquet(['/tmp/it''s/a.hour.parquet']");
    expect(recent).toContain("read_parquet(['/tmp/it''s/*[!r].parquet']");
  });

  it('webhooks deduplicates only the recent files (and a recent row already compacted) unless raw is asked for', () => {
    const files = { compacted: ['c.hour.parquet'], recent: ['r.parquet'] };
    const webhooks = webhookViewStatements(files)[3]!;
    expect(webhooks).toMatch(/^create view webhooks as select \* from webhooks_compacted union all select \* from \(select \* from webhooks_recent qualify row_number\(\) over \(partition by pipeline_id, dt, __kdd_request_id /);
    expect(webhooks).toContain('where not exists');
    expect(webhookViewStatements({ compacted: [], recent: ['r.parquet'] })[3]).not.toContain('not exists');
    expect(webhookViewStatements({ compacted: ['c.hour.parquet'], recent: [] })[3]).toBe('create view webhooks as select * from webhooks_compacted');
    expect(webhookViewStatements(files, { raw: true })[3]).toBe('create view webhooks as select * from webhooks_raw');
  });

  it('a partition directory gets a glob per kind of file it has, a name neither glob takes on its own, and two compacted objects of one hour are read as recent ones', () => {
    const dir = 'webhooks/pipeline_id=1/dt=2026-11-03/';
    const other = 'webhooks/pipeline_id=1/dt=2026-11-04/';
    const name = (first: string, last: string, hash: string, suffix = '.parquet') => `${first}-${last}-${hash.repeat(32)}${suffix}`;
    const files = lakeFilesOf('/lake/', [
      dir + name('100000', '105959', 'a', '.hour.parquet'),
      dir + name('110000', '115959', 'b', '.hour.parquet'),
      dir + name('110000', '115900', 'c', '.hour.parquet'),
      dir + name('120001', '120002', 'd'),
      dir + 'notes-for-later.parquet',
      dir + 'readme.txt',
      other + name('000000', '005959', 'e', '.hour.parquet'),
    ]);
    expect(files).toEqual({
      compacted: [`/lake/${dir}${name('100000', '105959', 'a', '.hour.parquet')}`, `/lake/${other}*.hour.parquet`],
      recent: [
        `/lake/${dir}*[!r].parquet`,
        `/lake/${dir}notes-for-later.parquet`,
        `/lake/${dir}${name('110000', '115900', 'c', '.hour.parquet')}`,
        `/lake/${dir}${name('110000', '115959', 'b', '.hour.parquet')}`,
      ],
      compactedNearRecent: [`/lake/${dir}${name('100000', '105959', 'a', '.hour.parquet')}`],
    });
  });

  it('over real files: every request once in webhooks, every copy in webhooks_raw, and a time filter reads only the row groups it needs', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hooklake-views-'));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const dir = join(root, 'webhooks', 'pipeline_id=3', 'dt=2026-11-03');
      mkdirSync(dir, { recursive: true });
      const day = Date.UTC(2026, 10, 3) / 1000;
      const columns = (id: string, ts: string, body: string) =>
        `${id} as __kdd_request_id, ${ts} as __kdd_request_unix_timestamp, 'k' as __kdd_requester_key, ${body} as __kdd_request_body`;
      // Hour 10 compacted: 20,000 requests in row groups of 2,048, sorted by time.
      await connection.run(
        `copy (select ${columns(`'r' || lpad(i::varchar, 19, '0')`, `${day + 36000} + i * 0.18`, `'{"i":' || i || '}'`)} from range(20000) t(i) order by 2) ` +
          `to '${dir}/100000-105959-${'a'.repeat(32)}.hour.parquet' (format parquet, compression zstd, row_group_size 2048)`,
      );
      // Recent: a request stored twice (SQS), and a late copy of a compacted request.
      await connection.run(`copy (select ${columns("'x0000000000000000001'", `${day + 39600.5}`, `'{"late":false}'`)}) to '${dir}/110000-110000-${'b'.repeat(32)}.parquet' (format parquet)`);
      await connection.run(`copy (select ${columns("'x0000000000000000001'", `${day + 39600.5}`, `'{"late":false}'`)}) to '${dir}/110000-110000-${'c'.repeat(32)}.parquet' (format parquet)`);
      await connection.run(`copy (select ${columns("'r0000000000000000007'", `${day + 36000 + 7 * 0.18}`, `'{"i":7}'`)}) to '${dir}/100001-100001-${'d'.repeat(32)}.parquet' (format parquet)`);
      const keys = readdirSync(dir).map((file) => `webhooks/pipeline_id=3/dt=2026-11-03/${file}`);
      for (const statement of webhookViewStatements(lakeFilesOf(root, keys))) await connection.run(statement);
      const one = async (sql: string) => (await connection.runAndReadAll(sql)).getRowObjectsJson()[0]!;
      expect(await one('select count(*)::int as n, count(distinct __kdd_request_id)::int as ids from webhooks')).toEqual({ n: 20001, ids: 20001 });
      expect(await one('select count(*)::int as n from webhooks_raw')).toEqual({ n: 20003 });
      const window = `__kdd_request_unix_timestamp >= ${day + 36000 + 600} and __kdd_request_unix_timestamp < ${day + 36000 + 900}`;
      const inWindow = (await one(`select count(*)::int as n from read_parquet('${dir}/*.hour.parquet') where ${window}`)).n;
      expect(inWindow).toBeGreaterThan(1600);
      expect(await one(`select count(*)::int as n from webhooks where ${window}`)).toEqual({ n: inWindow });
      const plan = String((await one(`explain analyze select count(*) from webhooks where ${window}`)).explain_value);
      // Of 20,000 compacted rows, the scan reads only the row groups whose statistics overlap the five minutes.
      const scanned = [...plan.matchAll(/([\d,]+) rows/g)].map((match) => Number(match[1]!.replaceAll(',', '')));
      expect(Math.max(...scanned)).toBeLessThanOrEqual(3 * 2048);
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("one rule of which copy counts: webhooks, the saved query webhooks_once and Athena's pipeline view agree, and a day filter through any of them reads only that day", async () => {
    const rank = requestCopyRankSql();
    expect(webhookViewStatements({ compacted: ['c.hour.parquet'], recent: ['r.parquet'] })[3]).toContain(rank);
    expect(requestDedupSql('webhooks')).toContain(rank);
    expect(athenaPipelineViewSql(emptySchema(3), 'hooklake')).toContain(rank);
    expect(requestCopyRankSql(['pipeline_id', 'dt'])).toBe('row_number() over (partition by __kdd_request_id order by __kdd_request_unix_timestamp)');

    const root = mkdtempSync(join(tmpdir(), 'hooklake-rule-'));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const keys: string[] = [];
      const write = async (dt: string, name: string, select: string) => {
        mkdirSync(join(root, 'webhooks', 'pipeline_id=3', `dt=${dt}`), { recursive: true });
        await connection.run(`copy (${select}) to '${join(root, 'webhooks', 'pipeline_id=3', `dt=${dt}`, name)}' (format parquet)`);
        keys.push(`webhooks/pipeline_id=3/dt=${dt}/${name}`);
      };
      const rows = (prefix: string, dayStart: number, from: number, to: number) =>
        `select '${prefix}' || lpad(i::varchar, 12, '0') as __kdd_request_id, ${dayStart} + i * 0.5 as __kdd_request_unix_timestamp, ` +
        `'k' as __kdd_requester_key, '{"i":' || i || '}' as __kdd_request_body from range(${from}, ${to}) t(i)`;
      const first = Date.UTC(2026, 10, 3) / 1000;
      const second = Date.UTC(2026, 10, 4) / 1000;
      // Day one: a compacted hour, a late copy of one of its requests, and a request SQS stored twice.
      await write('2026-11-03', `000000-001639-${'a'.repeat(32)}.hour.parquet`, rows('a', first, 0, 2000));
      await write('2026-11-03', `000003-000003-${'b'.repeat(32)}.parquet`, rows('a', first, 7, 8));
      await write('2026-11-03', `010000-010000-${'c'.repeat(32)}.parquet`, rows('x', first + 3600, 0, 1));
      await write('2026-11-03', `010000-010000-${'d'.repeat(32)}.parquet`, rows('x', first + 3600, 0, 1));
      // Day two: recent objects only, ten requests of them stored twice.
      await write('2026-11-04', `000000-002459-${'e'.repeat(32)}.parquet`, rows('b', second, 0, 3000));
      await write('2026-11-04', `000000-000004-${'f'.repeat(32)}.parquet`, rows('b', second, 0, 10));
      for (const statement of webhookViewStatements(lakeFilesOf(root, keys))) await connection.run(statement);
      // The Glue table as Athena sees it: every object, partition keys as strings.
      await connection.run('create schema hooklake');
      await connection.run(`create view hooklake.webhooks as select pipeline_id::varchar as pipeline_id, strftime(dt, '%Y-%m-%d') as dt, * exclude (pipeline_id, dt) from webhooks_raw`);
      const athena = athenaPipelineViewSql(emptySchema(3), 'hooklake');
      const once = requestDedupSql('webhooks_raw');
      const ids = async (sql: string) => (await connection.runAndReadAll(`select __kdd_request_id as id from (${sql}) order by 1`)).getRowObjectsJson().map((row) => String(row.id));
      const viewIds = await ids('select * from webhooks');
      expect(viewIds.length).toBe(2000 + 1 + 3000);
      expect(new Set(viewIds).size).toBe(viewIds.length);
      expect(await ids(once)).toEqual(viewIds);
      expect(await ids(athena)).toEqual(viewIds);
      // A day filter passes below the window into the scan: only the second day's 3,010 stored rows are read.
      const scannedRows = async (sql: string) => {
        const plan = String((await connection.runAndReadAll(`explain analyze ${sql}`)).getRowObjectsJson()[0]!.explain_value);
        return Math.max(...[...plan.matchAll(/([\d,]+) rows/g)].map((match) => Number(match[1]!.replaceAll(',', ''))));
      };
      expect(await scannedRows(`select count(*) from (${once}) where dt = DATE '2026-11-04'`)).toBe(3010);
      expect(await scannedRows(`select count(*) from (${athena}) where dt = '2026-11-04'`)).toBe(3010);
      expect((await connection.runAndReadAll(`select count(*)::int as n from (${athena}) where dt = '2026-11-04'`)).getRowObjectsJson()).toEqual([{ n: 3000 }]);
    } finally {
      connection.closeSync();
      instance.closeSync();
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('webhooks_by_delivery counts each provider delivery once per pipeline, rows without an id once per request, the earliest copy', async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      const row = (pipeline: number, id: string, ts: number, delivery: string | null) =>
        `(${pipeline}, DATE '2026-11-30', '${id}', ${ts}, 'k', '{}', 'POST', '{}', '{}', ${delivery === null ? 'null' : `'${delivery}'`})`;
      await connection.run(
        `create table webhooks_raw (${WEBHOOK_VIEW_COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')})`,
      );
      await connection.run(
        `insert into webhooks_raw values ${[
          row(1, 'aaa', 3, 'gh-1'), // a redelivery of gh-1, later
          row(1, 'bbb', 1, 'gh-1'),
          row(1, 'ccc', 2, null), // an SQS duplicate of one request without an id
          row(1, 'ccc', 2.5, null),
          row(1, 'ddd', 4, 'ccc'), // a delivery id equal to another row's request id stays apart
          row(2, 'eee', 5, 'gh-1'), // another pipeline's same id stays apart
        ].join(', ')}`,
      );
      const reader = await connection.runAndReadAll(`select pipeline_id, __kdd_request_id as id from (${deliveryDedupSql('webhooks_raw')}) order by 1, 2`);
      expect(reader.getRowObjectsJson()).toEqual([
        { pipeline_id: '1', id: 'bbb' },
        { pipeline_id: '1', id: 'ccc' },
        { pipeline_id: '1', id: 'ddd' },
        { pipeline_id: '2', id: 'eee' },
      ]);
      expect(webhookViewStatements(undefined)[4]).toBe(`create view webhooks_by_delivery as ${deliveryDedupSql('webhooks_raw')}`);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
