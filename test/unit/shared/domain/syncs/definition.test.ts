import { describe, expect, it } from 'vitest';
import { parseMappingList, resultColumnsProblem, SyncDefinitionError, validateSyncDefinition } from '../../../../../shared/domain/syncs/definition.ts';

const base = { name: 'crm', sql: 'select 1 as id', primaryKey: 'id', mode: 'upsert' };

describe('sync definitions', () => {
  it('normalises a valid definition: POST json by default, GET always json, manual schedule', () => {
    expect(validateSyncDefinition(base)).toEqual({
      name: 'crm',
      sql: 'select 1 as id',
      primaryKey: 'id',
      mode: 'upsert',
      webhookHttpMethod: 'POST',
      format: 'json',
      mapping: [],
      headers: {},
      schedule: { kind: 'manual' },
    });
    expect(validateSyncDefinition({ ...base, webhookHttpMethod: 'GET' }).format).toBe('json');
  });

  it('refuses each malformed field with a message naming it', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: ' ' }, /name is 1 to 100/],
      [{ sql: '' }, /sql is required/],
      [{ sql: 'x'.repeat(70_000) }, /sql is at most/],
      [{ primaryKey: '' }, /primaryKey/],
      [{ primaryKey: 'a\u0000b' }, /control character/],
      [{ mode: 'merge' }, /mode is one of upsert, mirror, append, create, delete/],
      [{ webhookHttpMethod: 'PUT' }, /POST or GET/],
      [{ webhookHttpMethod: 'GET', format: 'form' }, /form applies to POST only/],
      [{ headers: { 'webhook-id': 'x' } }, /headers/],
      [{ mapping: [{ source: 'a', destination: 'x' }, { source: 'b', destination: 'X' }] }, /mapped twice/],
      [{ mapping: [{ source: 'a', destination: '_sync_mode' }] }, /Hooklake writes itself/],
      [{ mapping: Array.from({ length: 501 }, (_, i) => ({ source: `c${i}`, destination: `d${i}` })) }, /at most 500/],
    ];
    for (const [change, message] of cases) {
      expect(() => validateSyncDefinition({ ...base, ...change } as never), JSON.stringify(change).slice(0, 60)).toThrow(message);
    }
    expect(() => validateSyncDefinition({ ...base, mode: 'nope' })).toThrow(SyncDefinitionError);
  });

  it("parses the CLI's --map list; a bare name maps to itself", () => {
    expect(parseMappingList('first_name:my_first_name, email ,active:active')).toEqual([
      { source: 'first_name', destination: 'my_first_name' },
      { source: 'email', destination: 'email' },
      { source: 'active', destination: 'active' },
    ]);
    expect(() => parseMappingList('a:b:c')).toThrow(/not source:destination/);
    expect(() => parseMappingList(':b')).toThrow(/not source:destination/);
  });

  it("checks the query's columns: primary key and mapped sources present (any case), no reserved or repeated names unmapped", () => {
    expect(resultColumnsProblem(['ID', 'name'], { primaryKey: 'id', mapping: [] })).toBeUndefined();
    expect(resultColumnsProblem(['name'], { primaryKey: 'id', mapping: [] })).toBe(`the query's result has no column "id" (the primary key); its columns are "name"`);
    expect(resultColumnsProblem(['id'], { primaryKey: 'id', mapping: [{ source: 'email', destination: 'e' }] })).toMatch(/no column "email" \(mapped to e\)/);
    expect(resultColumnsProblem(['id', '_message_id'], { primaryKey: 'id', mapping: [] })).toMatch(/_message_id, a field Hooklake writes/);
    expect(resultColumnsProblem(['id', '_message_id'], { primaryKey: 'id', mapping: [{ source: 'id', destination: 'id' }] })).toBeUndefined();
  });
});
