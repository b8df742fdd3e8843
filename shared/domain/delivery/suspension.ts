// Kommo's throttling rule, per target address — the webhook URL (queue-messages.ts `addressOf`),
// shared only by subscriptions with the same URL: if more
// than 100 invalid responses come from the address within the last 5 minutes, retries to it are
// suspended for 5 minutes from the moment the threshold is reached (the 101st invalid response),
// then resume by themselves. A retry that falls due during a suspension waits for its end.
//
// State shape, chosen so it is ONE small DynamoDB item per address, updated with a conditional
// write (read, apply `recordInvalid`, put with `version = :previousVersion`, re-read on conflict):
//
//   { recentInvalids: [epoch ms, ...ascending, at most 101], suspendedUntil?: epoch ms, version }
//
// Only the 101 most recent invalid times are kept: "more than 100 within the last 5 minutes" holds
// exactly when the 101st most recent one is inside the window, so older ones can never change the
// answer. That makes the window exact (no bucket-edge error: a bucketed counter with 10 s buckets
// would count up to 10 s of invalids too many or too few at the window's edge) while the item stays
// bounded at about 1.5 KB however hard the address fails. The price is optimistic concurrency:
// concurrent writers for one address conflict and retry, where bucket counters could use an atomic
// ADD — acceptable, since one address fails at most as fast as we deliver to it and writers batch.
// The window is (now - 5 min, now]: an invalid response exactly 5 minutes old no longer counts.

export const SUSPENSION_RULE = {
  /** Suspend when MORE than this many invalid responses fall within the window. */
  threshold: 100,
  windowMs: 5 * 60_000,
  suspensionMs: 5 * 60_000,
} as const;

export interface SuspensionState {
  /** Epoch ms of the most recent invalid responses, ascending, at most threshold + 1 of them. */
  recentInvalids: readonly number[];
  /** Epoch ms when the current (or last) suspension ends; absent when none is known. */
  suspendedUntil?: number;
  /** Incremented by every change: the condition of the conditional write. 0 = item absent. */
  version: number;
}

/** The state of an address that has never failed (no item stored). */
export function emptySuspensionState(): SuspensionState {
  return { recentInvalids: [], version: 0 };
}

/**
 * Records one invalid response at `now` and returns the new state. When the count within the last
 * 5 minutes goes above 100 while the address is not suspended, a suspension starts at `now` for
 * 5 minutes. Invalids during a suspension still count but do not extend it; once it has lifted,
 * the next invalid re-evaluates the rule on the window as it is then.
 */
export function recordInvalid(state: SuspensionState, now: number): SuspensionState {
  if (!Number.isFinite(now)) throw new RangeError('now is finite epoch milliseconds');
  const { threshold, windowMs, suspensionMs } = SUSPENSION_RULE;
  const recent = state.recentInvalids.filter((t) => t > now - windowMs);
  // Lambdas' clocks differ slightly: insert in order rather than assume `now` is the latest.
  let at = recent.length;
  while (at > 0 && recent[at - 1]! > now) at--;
  recent.splice(at, 0, now);
  const kept = recent.slice(-(threshold + 1));
  let suspendedUntil = state.suspendedUntil !== undefined && now < state.suspendedUntil ? state.suspendedUntil : undefined;
  if (suspendedUntil === undefined && kept.length > threshold) suspendedUntil = now + suspensionMs;
  return {
    recentInvalids: kept,
    ...(suspendedUntil !== undefined ? { suspendedUntil } : {}),
    version: state.version + 1,
  };
}

/** Whether retries to the address are held back at `now`; the suspension ends exactly at `suspendedUntil`. */
export function isSuspended(state: SuspensionState, now: number): boolean {
  return state.suspendedUntil !== undefined && now < state.suspendedUntil;
}

/** Retries held by a suspension resume spread over this long after its end, not all at once. */
export const RESUME_SPREAD_MS = 60_000;

/**
 * When a retry due at `dueAt` may run: unchanged unless it falls within the suspension in force at
 * `now`, in which case it waits for the suspension's end — it is delayed, never dropped. With
 * `random`, held retries are spread over `RESUME_SPREAD_MS` after the end, so an address that just
 * recovered is not hit by every held retry in the same instant.
 */
export function retryNotBefore(state: SuspensionState, now: number, dueAt: number, random?: () => number): number {
  if (!isSuspended(state, now)) return dueAt;
  const until = state.suspendedUntil!;
  if (dueAt >= until) return dueAt;
  return random === undefined ? until : until + Math.floor(random() * RESUME_SPREAD_MS);
}

/**
 * When the stored item stops mattering (for a DynamoDB TTL): once the newest invalid has left the
 * window and any suspension has ended, the state is equivalent to an empty one.
 */
export function stateExpiresAt(state: SuspensionState): number | undefined {
  const newest = state.recentInvalids.at(-1);
  const candidates = [newest === undefined ? undefined : newest + SUSPENSION_RULE.windowMs, state.suspendedUntil].filter(
    (t): t is number => t !== undefined,
  );
  return candidates.length === 0 ? undefined : Math.max(...candidates);
}
