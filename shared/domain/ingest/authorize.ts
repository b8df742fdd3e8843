// Kondado's second step: a request accepted by the receiver lands only if its key and token
// are valid for the pipeline. Failures are dropped for the sender, counted for the owner.
import { digestsEqual } from '../credentials.ts';
import type { PipelineRecord, RejectionReason, TokenRecord } from './records.ts';

export type AuthDecision = { ok: true } | { ok: false; reason: RejectionReason };

export function authorizeIngest(
  request: { pipelineId: number; tokenSha256: string },
  token: TokenRecord | undefined,
  pipeline: PipelineRecord | undefined,
): AuthDecision {
  if (token === undefined) return { ok: false, reason: 'unknown_key' };
  // The token is checked before revocation, so only a holder of the token learns it was revoked.
  if (!digestsEqual(request.tokenSha256, token.tokenSha256)) return { ok: false, reason: 'wrong_token' };
  if (token.revokedAt !== undefined) return { ok: false, reason: 'revoked_token' };
  if (pipeline === undefined) return { ok: false, reason: 'unknown_pipeline' };
  if (token.pipelines !== undefined && !token.pipelines.includes(request.pipelineId)) {
    return { ok: false, reason: 'pipeline_not_allowed' };
  }
  return { ok: true };
}
