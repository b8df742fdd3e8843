import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dailyCountsExpiresAt, rejectionBucketOf, summaryDelaySeconds, summaryWindowAt, textPrefix, utf8Prefix } from '../../../../../shared/domain/ingest/rejections.ts';

describe('bounded body prefixes', () => {
  it('cuts before a character the byte limit would split', () => {
    expect(utf8Prefix(Buffer.from('ab€cd'), 3)).toBe('ab'); // € is 3 bytes: a, b, then 1 of 3
    expect(utf8Prefix(Buffer.from('ab€cd'), 5)).toBe('ab€');
    expect(utf8Prefix(Buffer.from('ab€'), 5)).toBe('ab€');
    expect(textPrefix('ab😀', 5)).toBe('ab');
    expect(textPrefix('😀😀', 4)).toBe('😀');
    expect(textPrefix('a😀', 2)).toBe('a'); // the slice would end on a lone high surrogate
  });

  it('property: the prefix is the longest whole-character start of the text within the limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 0, max: 80 }), (text, maxBytes) => {
        const prefix = textPrefix(text, maxBytes);
        expect(text.startsWith(prefix)).toBe(true);
        expect(Buffer.byteLength(prefix)).toBeLessThanOrEqual(maxBytes);
        const next = [...text.slice(prefix.length)][0];
        if (next !== undefined) expect(Buffer.byteLength(prefix + next)).toBeGreaterThan(maxBytes);
        expect(utf8Prefix(Buffer.from(text), maxBytes)).toBe(prefix);
      }),
    );
  });
});

describe('rejection buckets and retention', () => {
  it('pipelines that do not exist share one bucket', () => {
    expect(rejectionBucketOf(7, true)).toBe(7);
    expect(rejectionBucketOf(7, false)).toBe('unknown');
  });

  it('daily counters expire 90 days after their day ends', () => {
    expect(new Date(dailyCountsExpiresAt('2026-11-20') * 1000).toISOString()).toBe('2027-02-19T00:00:00.000Z');
  });
});

describe('summary windows', () => {
  it('are aligned minutes, read a quarter window after they end', () => {
    const now = Date.parse('2026-11-20T10:15:59.500Z');
    const window = summaryWindowAt(now);
    expect(window).toEqual({
      start: '2026-11-20T10:15:00.000Z',
      end: '2026-11-20T10:16:00.000Z',
      startMs: Date.parse('2026-11-20T10:15:00.000Z'),
      endMs: Date.parse('2026-11-20T10:16:00.000Z'),
    });
    expect(summaryDelaySeconds(window, now)).toBe(16);
    expect(summaryDelaySeconds(summaryWindowAt(now, 4), now)).toBe(2);
  });
});
