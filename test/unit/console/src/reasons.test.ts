// The console labels every reason the processor can reject a request for (its chart counts each).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REASONS, reasonLabel } from '../../../../console/src/reasons.ts';
import { REJECTION_REASONS } from '../../../../shared/domain/ingest/records.ts';

describe('console rejection labels', () => {
  it('has a label for exactly the processor\'s rejection reasons, signature ones included', () => {
    expect([...REASONS].sort()).toEqual([...REJECTION_REASONS].sort());
    expect(reasonLabel('bad_signature')).toBe('bad signature');
    expect(reasonLabel('missing_signature')).toBe('missing signature');
    expect(reasonLabel('stale_timestamp')).toBe('stale timestamp');
    expect(reasonLabel('unsigned_request')).toBe('unsigned request');
  });

  it("gives every series of the pipeline's chart (landed, then each reason) a colour of its own", () => {
    const css = readFileSync(new URL('../../../../console/src/style.css', import.meta.url), 'utf8');
    const colours = REASONS.map((_, index) => new RegExp(`\\.series-${index + 1} \\{ fill: (#[0-9a-f]{6});`).exec(css)?.[1]);
    expect(colours.every((colour) => colour !== undefined)).toBe(true);
    expect(new Set([/\.series-0 \{ fill: (#[0-9a-f]{6});/.exec(css)?.[1], ...colours]).size).toBe(REASONS.length + 1);
  });

  it('shows an unknown reason as its words and a missing one as "unknown reason"', () => {
    expect(reasonLabel('some_new_reason')).toBe('some new reason');
    expect(reasonLabel(null)).toBe('unknown reason');
  });
});
