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

const MS_PER_DAY = 86_400_000;
let lastDayNumber = Number.NaN;
let lastDayText = '';

/** The UTC day (YYYY-MM-DD) of a unix timestamp in seconds: the lake's `dt` partition. */
export function utcDay(unixSeconds: number): string {
  const ms = Math.floor(unixSeconds * 1000);
  // A batch's rows almost all fall on one day: its text is made once, not once per row.
  const dayNumber = Math.floor(ms / MS_PER_DAY);
  if (dayNumber === lastDayNumber) return lastDayText;
  const text = new Date(ms).toISOString().slice(0, 10);
  lastDayNumber = dayNumber;
  lastDayText = text;
  return text;
}
