// Kondado's request id is 20 lowercase letters. Hooklake's first 7 are the receive time (whole
// Unix seconds, base 26, 'a' = 0, most significant first: enough until the year 2224) and the
// other 13 random (61 bits), so ids sort by time and an id alone says which day partition and
// which objects of it can hold its request (the console's id search, services/inspector/).
// Import-free: the console bundles it (new ids are made in credentials.ts).

export const REQUEST_ID_LENGTH = 20;
export const REQUEST_ID_TIME_LETTERS = 7;
export const REQUEST_ID_PATTERN = /^[a-z]{20}$/;

const A = 'a'.charCodeAt(0);
const TIME_LIMIT = 26 ** REQUEST_ID_TIME_LETTERS;

// Every id issued within a second has the same prefix: the last one is kept.
let lastSecond = -1;
let lastPrefix = '';

/** The 7 time letters of an id issued at `unixSeconds`. */
export function requestIdTimePrefix(unixSeconds: number): string {
  let value = Math.min(Math.max(0, Math.floor(unixSeconds)), TIME_LIMIT - 1);
  if (value === lastSecond) return lastPrefix;
  lastSecond = value;
  let out = '';
  for (let i = 0; i < REQUEST_ID_TIME_LETTERS; i++) {
    out = String.fromCharCode(A + (value % 26)) + out;
    value = Math.floor(value / 26);
  }
  lastPrefix = out;
  return out;
}

/** The receive time (whole Unix seconds) an id carries; undefined for a string that is not an id. */
export function requestIdTime(id: string): number | undefined {
  if (!REQUEST_ID_PATTERN.test(id)) return undefined;
  let value = 0;
  for (let i = 0; i < REQUEST_ID_TIME_LETTERS; i++) value = value * 26 + (id.charCodeAt(i) - A);
  return value;
}
