// Why the processor rejected a request, in words: the live view, the pipeline's chart and legend.
// The processor's list is shared/domain/ingest/records.ts REJECTION_REASONS (a unit test keeps the two
// equal: the console's type check cannot import shared code that uses Node's types).
type RejectionReason =
  | 'unknown_key'
  | 'wrong_token'
  | 'revoked_token'
  | 'pipeline_not_allowed'
  | 'unknown_pipeline'
  | 'bad_signature'
  | 'missing_signature'
  | 'stale_timestamp'
  | 'unsigned_request';

export const REASON_LABELS: Record<RejectionReason, string> = {
  unknown_key: 'unknown key',
  wrong_token: 'wrong token',
  revoked_token: 'revoked token',
  pipeline_not_allowed: 'pipeline not allowed',
  unknown_pipeline: 'unknown pipeline',
  bad_signature: 'bad signature',
  missing_signature: 'missing signature',
  stale_timestamp: 'stale timestamp',
  unsigned_request: 'unsigned request',
};

export const REASONS = Object.keys(REASON_LABELS) as RejectionReason[];

/** A reason's label; an unknown one (a newer processor) as it came. */
export const reasonLabel = (reason: string | null | undefined): string =>
  reason === null || reason === undefined ? 'unknown reason' : ((REASON_LABELS as Record<string, string>)[reason] ?? reason.replaceAll('_', ' '));
