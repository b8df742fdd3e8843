import { createRequire } from 'node:module';
import type { WebhookDefinition } from '@octokit/webhooks-examples';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  baseColumnName,
  boundedJsonText,
  bodyValuesAreText,
  emptySchema,
  MAX_COLUMNS,
  MAX_EXAMPLE_LENGTH,
  MAX_NAME_LENGTH,
  mergeSchema,
  observeSample,
  RESERVED_WORDS,
  stringType,
  uniqueColumnName,
  widenType,
  COLUMN_TYPES,
  type PipelineSchema,
  type SampleRow,
} from '../../../../../shared/domain/lake/schema.ts';

const githubExamples = createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];

const row = (body: unknown, ts = 1_800_000_000, textValues = false): SampleRow => ({ body: typeof body === 'string' ? body : JSON.stringify(body), ts, textValues });
const infer = (rows: SampleRow[], stored: PipelineSchema = emptySchema(7)) => mergeSchema(stored, observeSample(rows), { now: '2027-01-15T08:00:00.000Z', sampledThrough: 'k' });
const columnsOf = (schema: PipelineSchema) => Object.fromEntries(schema.columns.map((column) => [column.name, column.type]));

describe('types of values', () => {
  it('JSON numbers by how they are written, strings typed only where the sender wrote text', () => {
    const schema = infer([row('{"n":5,"d":5.0,"e":1e3,"big":12345678901234567890,"s":"42","t":"2026-11-20T10:00:00Z","b":true,"z":null,"empty":""}')]);
    expect(columnsOf(schema)).toEqual({ n: 'bigint', d: 'double', e: 'double', big: 'double', s: 'varchar', t: 'timestamp', b: 'boolean' });
  });

  it('form and GET text: integers (no leading zero), decimals, booleans, date-times; the rest stays text', () => {
    const text = (value: string) => stringType(value, true);
    expect(['42', '-7', '0', '9223372036854775807'].map(text)).toEqual(['bigint', 'bigint', 'bigint', 'bigint']);
    expect(['9223372036854775808', '007', '+5', '1,5', '18/12', 'Y'].map(text)).toEqual(Array(6).fill('varchar'));
    expect(['4.5', '-0.25', '1e3'].map(text)).toEqual(['double', 'double', 'double']);
    expect(['true', 'false', 'TRUE'].map(text)).toEqual(['boolean', 'boolean', 'varchar']);
    expect(['2022-11-30 22:53:19', '2026-11-20T10:00:00.123+02:00', '2026-11-20T10:00'].map(text)).toEqual(['timestamp', 'timestamp', 'timestamp']);
    expect(['2026-11-20', '2026-13-01T00:00:00Z', '10:00:00'].map(text)).toEqual(['varchar', 'varchar', 'varchar']);
    expect(text('')).toBeUndefined();
    expect(stringType('42', false)).toBe('varchar');
  });

  it('widening: bigint → double → varchar → json; booleans and timestamps only to varchar', () => {
    expect(widenType('bigint', 'double')).toBe('double');
    expect(widenType('double', 'varchar')).toBe('varchar');
    expect(widenType('boolean', 'bigint')).toBe('varchar');
    expect(widenType('timestamp', 'bigint')).toBe('varchar');
    expect(widenType('varchar', 'json')).toBe('json');
    // A lattice: commutative, associative, idempotent, and never narrower than either side.
    const type = fc.constantFrom(...COLUMN_TYPES);
    fc.assert(
      fc.property(type, type, type, (a, b, c) => {
        expect(widenType(a, b)).toBe(widenType(b, a));
        expect(widenType(widenType(a, b), c)).toBe(widenType(a, widenType(b, c)));
        expect(widenType(a, a)).toBe(a);
        const w = widenType(a, b);
        expect(widenType(w, a)).toBe(w);
      }),
    );
  });

  it('which bodies hold sender text: a GET, a form post', () => {
    expect(bodyValuesAreText('GET', null)).toBe(true);
    expect(bodyValuesAreText('POST', '{"content-type":"application/x-www-form-urlencoded; charset=utf-8"}')).toBe(true);
    expect(bodyValuesAreText('POST', '{"content-type":"application/json"}')).toBe(false);
    expect(bodyValuesAreText(null, null)).toBe(false);
    expect(bodyValuesAreText('POST', 'not json')).toBe(false);
  });
});

describe('flattening', () => {
  it('nested keys joined with _ up to 4 levels; deeper objects and arrays are JSON text', () => {
    const schema = infer([row({ customer: { email: 'a@b.c', address: { geo: { lat: 1.5, deeper: { x: 1 } } } }, tags: ['a'], empty: {}, none: [] })]);
    expect(columnsOf(schema)).toEqual({ customer_email: 'varchar', customer_address_geo_lat: 'double', customer_address_geo_deeper: 'json', tags: 'json' });
    expect(schema.columns.find((c) => c.name === 'customer_address_geo_deeper')!.example).toBe('{"x":1}');
  });

  it('a field that is sometimes an object keeps both its column and its children', () => {
    const schema = infer([row({ a: 5 }, 1), row({ a: { b: 'x' } }, 2)]);
    expect(columnsOf(schema)).toEqual({ a: 'bigint', a_b: 'varchar' });
  });

  it('bodies that are not objects have no fields; bad JSON is skipped', () => {
    const schema = infer([row([1, 2]), row('"text"'), row('not json'), row({ ok: 1 })]);
    expect(columnsOf(schema)).toEqual({ ok: 'bigint' });
    expect(schema.rows).toBe(4);
  });

  it('counts rows, first/last seen and keeps the latest example, redacting credential fields', () => {
    const schema = infer([row({ n: 1, api_key: 'k1', password: 'p' }, 100), row({ n: 2, api_key: 'k2' }, 300), row({ other: true }, 200)]);
    const n = schema.columns.find((c) => c.name === 'n')!;
    expect(n).toMatchObject({ rows: 2, firstSeen: 100, lastSeen: 300, example: '2' });
    expect(schema.columns.find((c) => c.name === 'api_key')!.example).toBe('[redacted]');
    expect(schema.columns.find((c) => c.name === 'password')!.example).toBe('[redacted]');
  });

  it('examples are cut; a deep container is written without recursion', () => {
    const schema = infer([row({ long: 'x'.repeat(500) })]);
    expect(schema.columns[0]!.example).toHaveLength(MAX_EXAMPLE_LENGTH);
    let deep = '1';
    for (let i = 0; i < 100_000; i++) deep = `[${deep}]`;
    const deepSchema = infer([row(`{"a":${deep},"b":2}`)]);
    expect(columnsOf(deepSchema)).toEqual({ a: 'json', b: 'bigint' });
    expect(deepSchema.columns[0]!.example!.length).toBeLessThanOrEqual(MAX_EXAMPLE_LENGTH);
    expect(boundedJsonText(JSON.parse('{"a":[1,{"b":"c"}]}'), 100)).toBe('{"a":[1,{"b":"c"}]}');
  });

  it('bounded work: a body with 100,000 keys adds at most the column cap', () => {
    const wide = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
    const schema = infer([row(wide)]);
    expect(schema.columns).toHaveLength(MAX_COLUMNS);
    expect(schema.omittedFields).toBeGreaterThan(0);
  });
});

describe('names', () => {
  it('lower case, words joined by _, accents dropped, reserved words and fixed columns avoided', () => {
    expect(baseColumnName(['Customer Email'])).toBe('customer_email');
    expect(baseColumnName(['país', 'código-postal'])).toBe('pais_codigo_postal');
    expect(baseColumnName(['_id'])).toBe('id');
    expect(baseColumnName(['__kdd_request_id'])).toBe('kdd_request_id');
    expect(baseColumnName(['123abc'])).toBe('f_123abc');
    expect(baseColumnName(['名前'])).toBe('field');
    expect(baseColumnName(['order'])).toBe('order_');
    expect(baseColumnName(['select'])).toBe('select_');
    expect(baseColumnName(['x'.repeat(200)])).toHaveLength(MAX_NAME_LENGTH);
    expect(uniqueColumnName(['pipeline_id'], new Set())).toBe('pipeline_id_2');
    expect(uniqueColumnName(['dt'], new Set())).toBe('dt_2');
    expect(uniqueColumnName(['a_b'], new Set(['a_b', 'a_b_2']))).toBe('a_b_3');
  });

  it('property: every name is safe unquoted, not reserved, unique, within the length', () => {
    const key = fc.string({ unit: 'binary', maxLength: 80 });
    fc.assert(
      fc.property(fc.array(fc.array(key, { minLength: 1, maxLength: 3 }), { maxLength: 40 }), (paths) => {
        const taken = new Set<string>();
        for (const path of paths) {
          const name = uniqueColumnName(path, taken);
          expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
          expect(name.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
          expect(RESERVED_WORDS.has(name)).toBe(false);
          expect(taken.has(name)).toBe(false);
          expect(name.startsWith('__')).toBe(false);
          taken.add(name);
        }
      }),
    );
  });

  it('two paths that spell the same name get distinct columns', () => {
    const schema = infer([row({ a_b: 1, a: { b: 2 } })]);
    expect(schema.columns.map((c) => c.name).sort()).toEqual(['a_b', 'a_b_2']);
  });

  it('keys no Athena JSON path can name stay in the JSON column', () => {
    const schema = infer([row({ 'say "hi"': 1, 'back\\slash': 2, ok: 3 })]);
    expect(columnsOf(schema)).toEqual({ ok: 'bigint' });
    expect(schema.omittedFields).toBe(2);
  });
});

describe('merging into the stored schema', () => {
  it('types only widen, columns are never dropped, names stay, new fields are added, counts add up', () => {
    const first = infer([row({ amount: 5, status: 'paid' }, 100)]);
    expect(first.version).toBe(1);
    const second = infer([row({ amount: 'n/a', coupon: 'X' }, 200)], first);
    expect(columnsOf(second)).toEqual({ amount: 'varchar', status: 'varchar', coupon: 'varchar' });
    expect(second.version).toBe(2);
    expect(second.rows).toBe(2);
    expect(second.columns.find((c) => c.name === 'amount')).toMatchObject({ rows: 2, firstSeen: 100, lastSeen: 200, example: 'n/a' });
    expect(second.columns.find((c) => c.name === 'status')).toMatchObject({ rows: 1, lastSeen: 100 });
    const third = infer([row({ amount: 7 }, 300)], second);
    expect(third.columns.find((c) => c.name === 'amount')!.type).toBe('varchar');
    expect(third.version).toBe(2);
    expect(third.columns.map((c) => c.name)).toEqual(['amount', 'status', 'coupon']);
  });

  it('the cap admits the most frequent fields first, then the shallowest', () => {
    const stored = { ...emptySchema(1), columns: Array.from({ length: MAX_COLUMNS - 2 }, (_, i) => ({ name: `c${i}`, path: [`c${i}`], type: 'bigint' as const, firstSeen: 1, lastSeen: 1, rows: 1, example: '1' })) };
    const schema = infer([row({ rare: 1, deep: { x: 1 }, often: 1 }), row({ often: 2, flat: 1, deep: { x: 2 } })], stored);
    expect(schema.columns.slice(-2).map((c) => c.name)).toEqual(['often', 'deep_x']);
    expect(schema.omittedFields).toBe(2);
  });

  it('property: merging any samples in any split gives the same types as one sample', () => {
    const value = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.string(), fc.constant(null), fc.constant('2026-01-02T03:04:05Z'));
    const body = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), value);
    fc.assert(
      fc.property(fc.array(body, { maxLength: 12 }), fc.nat(12), (bodies, cut) => {
        const rows = bodies.map((b, i) => row(b, 1000 + i));
        const whole = infer(rows);
        const split = infer(rows.slice(cut), infer(rows.slice(0, cut)));
        expect(columnsOf(split)).toEqual(Object.fromEntries(whole.columns.map((c) => [c.name, c.type])));
        for (const column of whole.columns) expect(split.columns.find((c) => c.name === column.name)!.rows).toBe(column.rows);
      }),
    );
  });
});

describe('real payloads', () => {
  it('the GitHub examples corpus: typed columns per event, names safe and unique', () => {
    for (const definition of githubExamples) {
      const schema = infer(definition.examples.map((example, i) => row(example, 1000 + i)));
      const names = schema.columns.map((c) => c.name);
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(name).toMatch(/^[a-z_][a-z0-9_]*$/);
    }
    const push = githubExamples.find((d) => d.name === 'push')!;
    const types = columnsOf(infer(push.examples.map((example, i) => row(example, 1000 + i))));
    expect(types).toMatchObject({ ref: 'varchar', created: 'boolean', forced: 'boolean', commits: 'json', repository_id: 'bigint', repository_full_name: 'varchar', repository_owner_login: 'varchar', head_commit_timestamp: 'timestamp', repository_created_at: 'bigint' });
    const pr = githubExamples.find((d) => d.name === 'pull_request')!;
    const prSchema = infer(pr.examples.map((example, i) => row(example, 1000 + i)));
    expect(columnsOf(prSchema)).toMatchObject({ action: 'varchar', number: 'bigint', pull_request_created_at: 'timestamp', pull_request_merged: 'boolean', pull_request_head_sha: 'varchar' });
    // Hundreds of fields: the cap keeps the most frequent, shallowest ones; the rest stay in the body.
    expect(prSchema.columns).toHaveLength(MAX_COLUMNS);
    expect(prSchema.omittedFields).toBeGreaterThan(0);
  });
});

describe('names DuckDB and Trino read bare', () => {
  it('every non-reserved name a body field can get is a column both grammars read unquoted', async () => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const { TrinoSQL } = await import('dt-sql-parser');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const trino = new TrinoSQL();
    try {
      const keywords = (await connection.runAndReadAll('select keyword_name as k from duckdb_keywords()')).getRowObjectsJson().map((row) => String(row.k));
      const bad: string[] = [];
      for (const keyword of keywords) {
        const name = baseColumnName([keyword]);
        await connection.run(`create or replace table t ("${name}" int)`);
        const sql = `select 1 as a, ${name} from t where ${name} = 1 group by ${name} order by ${name}`;
        try {
          await connection.run(sql);
        } catch {
          bad.push(`duckdb:${name}`);
        }
        if (trino.validate(sql).length > 0) bad.push(`trino:${name}`);
      }
      expect(bad).toEqual([]);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
