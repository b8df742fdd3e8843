// Time as a dependency, so rules that depend on it can be tested with an injected clock.
export interface Clock {
  /** Milliseconds since the epoch, with sub-millisecond precision where the platform has it. */
  nowMs(): number;
}

export const systemClock: Clock = {
  nowMs: () => performance.timeOrigin + performance.now(),
};

/** The clock's time as ISO 8601 UTC with milliseconds (what records and answers carry). */
export function isoNow(clock: Clock): string {
  return new Date(clock.nowMs()).toISOString();
}

/** The UTC day (YYYY-MM-DD) of a unix timestamp in seconds: the lake's `dt` partition. */
export function utcDay(unixSeconds: number): string {
  return new Date(Math.floor(unixSeconds * 1000)).toISOString().slice(0, 10);
}
