// "Copy as curl" in the live inspector: a shell command that sends a captured request again. Every
// byte a sender chose is quoted for a POSIX shell (sh, bash, zsh), so pasting the command runs curl
// and nothing else, and curl sends the body byte for byte. The key and token stay shell variables:
// the token is never stored, the key is not printed.
//
// Pure (no DOM): test/unit/console-curl.test.ts runs generated commands through a real shell.

export interface ReplayedRequest {
  method: string | null;
  content_type: string | null;
  body: string | null;
  headers: Record<string, string> | null;
  query: Record<string, string | string[]> | null;
}

/** Headers curl sets itself, or that describe the original connection rather than the request. */
const NOT_REPLAYED = new Set(['host', 'content-length', 'connection', 'accept-encoding', 'transfer-encoding', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-amzn-trace-id']);

/** `text` as one single-quoted shell word: inside '…' nothing is special but `'` itself, written '"'"'. */
export const shellQuote = (text: string): string => `'${text.replaceAll("'", `'"'"'`)}'`;

/**
 * A URL safe inside double quotes: every character but the URL's own unreserved and delimiter
 * characters percent-encoded (so no `$`, backtick, `\`, `"` or `!` is left for the shell).
 */
function quotableUrl(url: string): string {
  return url.replace(/[^A-Za-z0-9\-._~:/?#[\]@&=+,;%*]/gu, (ch) =>
    [...new TextEncoder().encode(ch)].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** Bracket form encoding of a stored form body (`{"a":{"b":["1"]}}` → `a[b][0]=1`), without recursion. */
export function formPairs(value: unknown): [string, string][] {
  const out: [string, string][] = [];
  const stack: [string, unknown][] = [['', value]];
  while (stack.length > 0) {
    const [prefix, item] = stack.pop()!;
    if (item !== null && typeof item === 'object') {
      const entries = Array.isArray(item) ? item.map((child, index) => [String(index), child] as const) : Object.entries(item);
      // Pushed in reverse so they come off the stack in order.
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        stack.push([prefix === '' ? key : `${prefix}[${key}]`, child]);
      }
    } else {
      out.push([prefix, item === null || item === undefined ? '' : String(item)]);
    }
  }
  return out;
}

/** A body argument: `--data-raw '…'`, or, for a body with NUL characters (no shell argument can hold one), printf's octal escapes piped in. */
function bodyArguments(data: string): { before: string; argument: string } {
  if (!data.includes('\0')) return { before: '', argument: `--data-raw ${shellQuote(data)}` };
  // printf %b reads `\\` as a backslash and `\0ddd` as an octal byte; three digits, so a digit after it stays a digit.
  const escaped = data.replaceAll('\\', '\\\\').replaceAll('\0', '\\0000');
  return { before: `printf '%b' ${shellQuote(escaped)} | `, argument: '--data-binary @-' };
}

/**
 * The command for `request` sent to `inboundUrl`, the pipeline's inbound URL whose key and token are
 * the placeholders `KEY` and `TOKEN`; they become `$HOOKLAKE_KEY` and `$HOOKLAKE_TOKEN`.
 */
export function curlCommand(inboundUrl: string, request: ReplayedRequest): string {
  const url = new URL(inboundUrl);
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, item);
  }
  const urlText = quotableUrl(url.toString()).replace('key=KEY', 'key=$HOOKLAKE_KEY').replace('token=TOKEN', 'token=$HOOKLAKE_TOKEN');
  const method = request.method ?? 'POST';
  const parts = [`curl -X ${/^[A-Z]{1,16}$/.test(method) ? method : shellQuote(method)} "${urlText}"`];
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (NOT_REPLAYED.has(name) || value === '[redacted]') continue;
    parts.push(`-H ${shellQuote(`${name}: ${value}`)}`);
  }
  let before = '';
  if (method !== 'GET' && request.body !== null) {
    let data = request.body;
    if ((request.content_type ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      try {
        data = new URLSearchParams(formPairs(JSON.parse(request.body))).toString();
      } catch {
        // Not JSON: sent as stored.
      }
    }
    const body = bodyArguments(data);
    before = body.before;
    parts.push(body.argument);
  }
  return before + parts.join(' \\\n  ');
}
