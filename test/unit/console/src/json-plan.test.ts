// The live inspector's JSON tree plans its first view and writes deep values as text without
// recursing over the value: a sender's nesting cannot exhaust the stack or the page.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHILD_PAGE, firstViewOpen, jsonText, type Json } from '../../../../console/src/json-plan.ts';

const nestedArrays = (depth: number): Json => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as Json;

describe('jsonText', () => {
  it('writes what JSON.stringify writes, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(jsonText(value as Json, Number.MAX_SAFE_INTEGER)).toEqual({ text: JSON.stringify(value), cut: false });
      }),
    );
  });

  it('writes 100,000 nested arrays (JSON.stringify overflows the stack on them), cut at its bound', () => {
    const value = nestedArrays(100_000);
    expect(() => JSON.stringify(value)).toThrow(RangeError);
    const { text, cut } = jsonText(value, 20_000);
    expect(cut).toBe(true);
    expect(text).toBe('['.repeat(20_000));
    expect(jsonText(nestedArrays(5_000), 20_000)).toEqual({ text: `${'['.repeat(5_000)}${']'.repeat(5_000)}`, cut: false });
  });

  it('cuts long flat values too', () => {
    const { text, cut } = jsonText(Array.from({ length: 100_000 }, (_, i) => i), 1000);
    expect(cut).toBe(true);
    expect(text).toHaveLength(1000);
    expect(text.startsWith('[0,1,2,3')).toBe(true);
  });
});

describe('firstViewOpen', () => {
  it('opens a small payload down to its leaves', () => {
    const value = JSON.parse('{"leads":{"status":[{"id":"4711"}]},"order":{"id":987,"status":"paid"}}') as { leads: { status: [object] }; order: object };
    const open = firstViewOpen(value as unknown as Json);
    expect([value, value.leads, value.leads.status, value.leads.status[0], value.order].every((node) => open.has(node))).toBe(true);
  });

  it('opens a few levels of 100,000 nested arrays, not all of them, in bounded time', () => {
    const value = nestedArrays(100_000) as Json[];
    const open = firstViewOpen(value);
    let node: Json[] = value;
    let opened = 0;
    while (open.has(node)) {
      opened++;
      node = node[0] as Json[];
    }
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThanOrEqual(6);
  });

  it('opens the root of a huge list but not the pages it does not show', () => {
    const value = Array.from({ length: 100_000 }, (_, i) => ({ i })) as Json[];
    const open = firstViewOpen(value);
    expect(open.has(value)).toBe(true);
    expect(open.has(value[CHILD_PAGE] as object)).toBe(false);
    expect(firstViewOpen('text').has({})).toBe(false);
  });
});
