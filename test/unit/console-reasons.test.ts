// The console labels every reason the processor can reject a request for (its chart counts each).
import { describe, expect, it } from 'vitest';
import { REASONS, reasonLabel } from '../../console/src/reasons.ts';
import { REJECTION_REASONS } from '../../shared/domain/ingest/records.ts';

describe('console rejection labels', () => {
  it('has a label for exactly the processor\'s rejection reasons, signature ones included', () => {
    expect([...REASONS].sort()).toEqual([...REJECTION_REASONS].sort());
    expect(reasonLabel('bad_signature')).toBe('bad signature');
    expect(reasonLabel('missing_signature')).toBe('missing signature');
    expect(reasonLabel('stale_timestamp')).toBe('stale timestamp');
  });

  it('shows an unknown reason as its words and a missing one as "unknown reason"', () => {
    expect(reasonLabel('some_new_reason')).toBe('some new reason');
    expect(reasonLabel(null)).toBe('unknown reason');
  });
});
