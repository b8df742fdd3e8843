// Kommo's delivery rule: a 2xx answer within the attempt timeout is valid, anything else is
// invalid; after an invalid response, up to 4 retry attempts within one hour of the first attempt.
// The schedule is data, so it can be documented, tested and changed in one place.

/** The retry schedule. Delays are measured from the failed attempt (`now`), not from the first one. */
export const RETRY_SCHEDULE = {
  /** Base delay before retry 1, 2, 3, 4: 1 min, 5 min, 15 min, 30 min (51 min in total). */
  baseDelaysMs: [60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000],
  /** Each delay is multiplied by a uniform factor in [1 - 0.2, 1 + 0.2), so retries spread out. */
  jitterRatio: 0.2,
  /** No retry is scheduled later than this after the first attempt; a later delay is clamped to it. */
  windowMs: 60 * 60_000,
  /**
   * Clamped retries aim this much before the end of the hour: an SQS delay is rounded up to a
   * whole second and the message still has to be received, so aiming at the very end would
   * land a few seconds after it.
   */
  deadlineMarginMs: 10_000,
} as const;

export const MAX_RETRIES = RETRY_SCHEDULE.baseDelaysMs.length; // 4
export const MAX_ATTEMPTS = MAX_RETRIES + 1; // 5

/** Why an attempt was invalid. */
export type InvalidClass =
  | 'http_status' // an answer outside 2xx (3xx answers are `redirect`)
  | 'timeout' // no complete answer within the attempt timeout
  | 'connection' // refused, reset, TLS or DNS failure: the target could not be reached
  | 'redirect' // a 3xx, or a redirect followed by the client: deliveries go to the configured URL only
  | 'url_too_long' // GET payload does not fit in the URL; refused before sending
  | 'blocked_target'; // SSRF rule refused the address; refused before sending

/** What the transport tells us about one attempt. */
export interface AttemptOutcome {
  status?: number;
  timedOut?: boolean;
  /** Set when no HTTP answer arrived (or the attempt was refused locally). */
  error?: 'connection' | 'dns' | 'tls' | 'url_too_long' | 'blocked_target' | 'unknown';
  redirected?: boolean;
}

export type Classification =
  | { valid: true }
  | {
      valid: false;
      errorClass: InvalidClass;
      status?: number;
      /** Worth another attempt: false only when the same request would be refused again locally. */
      retryable: boolean;
      /** An invalid response from the address, counted by the throttling rule (suspension.ts). */
      countsTowardSuspension: boolean;
    };

/**
 * Kommo's validity rule: valid only for a 2xx status, within the timeout, without a redirect.
 * Local refusals (URL too long, blocked address) are invalid too but are neither retried (they
 * would fail the same way) nor counted against the address (it never answered).
 */
export function classifyResponse(outcome: AttemptOutcome): Classification {
  const invalid = (errorClass: InvalidClass, local = false): Classification => ({
    valid: false,
    errorClass,
    ...(outcome.status !== undefined ? { status: outcome.status } : {}),
    retryable: !local,
    countsTowardSuspension: !local,
  });
  if (outcome.error === 'url_too_long' || outcome.error === 'blocked_target') return invalid(outcome.error, true);
  if (outcome.timedOut === true) return invalid('timeout');
  if (outcome.error !== undefined) return invalid('connection');
  if (outcome.redirected === true) return invalid('redirect');
  const status = outcome.status;
  if (status === undefined || !Number.isInteger(status)) return invalid('connection');
  if (status >= 300 && status <= 399) return invalid('redirect');
  if (status >= 200 && status <= 299) return { valid: true };
  return invalid('http_status');
}

export interface NextAttemptInput {
  /** The number of the attempt that just failed: 1 for the first delivery, up to 5. */
  attemptNumber: number;
  /** Epoch ms of attempt 1: the start of the one-hour window. */
  firstAttemptAt: number;
  /** Epoch ms now (the injected clock), when the failure was observed. */
  now: number;
  /** Uniform in [0, 1): the injected jitter source. */
  random: () => number;
}

export type NextAttempt = { kind: 'retry'; retryNumber: number; at: number } | { kind: 'exhausted' };

/**
 * When to try again after invalid attempt `attemptNumber`: `now + baseDelay × jitter`, clamped to
 * `firstAttemptAt + 1 h` less `deadlineMarginMs`. Exhausted after the 4th retry, or when the hour has already passed (a
 * retry held back by a suspension can run after it; nothing is scheduled after that one).
 * Every scheduled time is strictly after `now`, so successive attempts are strictly increasing.
 */
export function nextAttempt(input: NextAttemptInput): NextAttempt {
  const { attemptNumber, firstAttemptAt, now } = input;
  if (!Number.isInteger(attemptNumber) || attemptNumber < 1) throw new RangeError('attemptNumber starts at 1');
  if (!Number.isFinite(firstAttemptAt) || !Number.isFinite(now)) throw new RangeError('times are finite epoch milliseconds');
  if (now < firstAttemptAt) throw new RangeError('now is before the first attempt');
  const base = RETRY_SCHEDULE.baseDelaysMs[attemptNumber - 1];
  if (base === undefined) return { kind: 'exhausted' };
  const deadline = firstAttemptAt + RETRY_SCHEDULE.windowMs - RETRY_SCHEDULE.deadlineMarginMs;
  if (now >= deadline) return { kind: 'exhausted' };
  const r = input.random();
  if (!(r >= 0 && r < 1)) throw new RangeError(`random() must return a number in [0, 1), got ${r}`);
  const factor = 1 + RETRY_SCHEDULE.jitterRatio * (2 * r - 1);
  const at = Math.min(now + Math.round(base * factor), deadline);
  return { kind: 'retry', retryNumber: attemptNumber, at };
}
