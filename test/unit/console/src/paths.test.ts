// The console's paths: every value is one encoded segment (or a query value), and an address
// matches a page only when its parameters have the shape of their ids.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedPath, match, path, segment, UnsafePathValue } from '../../../../console/src/paths.ts';
import { PIPELINE_ID, RUN_ID, SUBSCRIPTION_ID, SYNC_ID } from '../../../../shared/domain/id-patterns.ts';
import { REQUEST_ID_PATTERN } from '../../../../shared/domain/request-id.ts';

describe('path', () => {
  it('makes each value one encoded segment', () => {
    expect(path`/pipelines/${4}/verification`.text).toBe('/pipelines/4/verification');
    expect(path`/webhook-subscriptions/${'sub_0123456789abcdef0123'}/test`.text).toBe('/webhook-subscriptions/sub_0123456789abcdef0123/test');
    expect(path`/things/${'a b:é'}`.text).toBe('/things/a%20b%3A%C3%A9');
    const base = path`/syncs/${'syn_0123456789abcdef0123'}`;
    expect(path`${base}/deliveries/${'dlv_x.y:z'}/redeliver`.text).toBe('/syncs/syn_0123456789abcdef0123/deliveries/dlv_x.y%3Az/redeliver');
  });

  it('refuses a value a gateway would read as path syntax: `4?` cannot become /pipelines/4 with a query', () => {
    for (const value of ['4?', '4?/verification', '4#', '4/verification', '%3F', '..', '.', '', 'a\\b', 'a\nb', 'a\u0000b']) {
      expect(() => path`/pipelines/${value}/verification`, JSON.stringify(value)).toThrow(UnsafePathValue);
    }
  });

  it('never yields a path whose segments differ from the values given (any Unicode)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', minLength: 1 }), { minLength: 1, maxLength: 4 }), (values) => {
        let built: string;
        try {
          built = values.reduce((text, value) => `${text}/${segment(value)}`, '');
        } catch (error) {
          expect(error).toBeInstanceOf(UnsafePathValue);
          return;
        }
        const url = new URL(`https://console.test/v4${built}?limit=1`);
        expect(url.pathname.split('/').slice(2).map(decodeURIComponent)).toEqual(values);
        expect(url.search).toBe('?limit=1');
      }),
      { numRuns: 200 },
    );
  });

  it('encodes a value after `?` as a query value', () => {
    const cursor = 'abc/def?x=1&y=2#z';
    const built = path`/pipelines/${1}/requests?cursor=${cursor}`.text;
    expect(built).toBe('/pipelines/1/requests?cursor=abc%2Fdef%3Fx%3D1%26y%3D2%23z');
    expect(new URL(`https://c.test${built}`).searchParams.get('cursor')).toBe(cursor);
  });

  it('takes fixed paths of lowercase words only', () => {
    expect(fixedPath('/pipelines').text).toBe('/pipelines');
    for (const text of ['/pipelines/:id', '/a?b', 'pipelines', '/', '/../x']) expect(() => fixedPath(text)).toThrow(UnsafePathValue);
  });
});

describe('match', () => {
  const shapes = { id: PIPELINE_ID };
  it('gives the decoded parameters when they have their shape', () => {
    expect(match('/pipelines/:id/live', '/pipelines/4/live', shapes)).toEqual({ params: { id: '4' } });
    expect(match('/pipelines/:id', '/pipelines/%34', shapes)).toEqual({ params: { id: '4' } });
    expect(match('/syncs/:id', '/syncs/syn_0123456789abcdef0123', { id: SYNC_ID })).toEqual({ params: { id: 'syn_0123456789abcdef0123' } });
    expect(match('/subscriptions/:id', '/subscriptions/sub_0123456789abcdef0123', { id: SUBSCRIPTION_ID })).toEqual({ params: { id: 'sub_0123456789abcdef0123' } });
  });

  it('matches nothing else: a crafted id is no page', () => {
    for (const address of ['/pipelines/4%3F', '/pipelines/4%3F%2Fverification', '/pipelines/04', '/pipelines/0', '/pipelines/-1', '/pipelines/4.0', '/pipelines/%E0%A4%A', '/pipelines/4%20', '/pipelines/..', '/pipelines/1e3']) {
      expect(match('/pipelines/:id', address, shapes), address).toBeUndefined();
    }
    expect(match('/syncs/:id', '/syncs/syn_0123456789abcdef0123%3F', { id: SYNC_ID })).toBeUndefined();
    expect(match('/subscriptions/:id', '/subscriptions/sub_x%2F..%2F..', { id: SUBSCRIPTION_ID })).toBeUndefined();
    expect(match('/pipelines/:id/live', '/pipelines/4', shapes)).toBeUndefined();
    expect(match('/pipelines', '/tokens')).toBeUndefined();
  });

  it('refuses a pattern whose parameter has no shape', () => {
    expect(() => match('/pipelines/:id', '/pipelines/4')).toThrow('no shape for :id');
  });

  it('every id shape is a value `segment` takes as it is', () => {
    const samples = ['9007199254740991', 'sub_0123456789abcdef0123', 'syn_0123456789abcdef0123', 'run_00abcdefg_0123abcd', 'abcdefghijabcdefghij'];
    const shapes = [PIPELINE_ID, SUBSCRIPTION_ID, SYNC_ID, RUN_ID, REQUEST_ID_PATTERN];
    samples.forEach((sample, index) => {
      expect(shapes[index]!.test(sample)).toBe(true);
      expect(segment(sample)).toBe(sample);
    });
  });
});
