// "Copy as curl" run through a real shell: whatever a sender put in the body, headers or query, the
// pasted command runs curl (here a shell function that writes each argument and its standard input
// to a file) with exactly the captured bytes, and nothing else.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { curlCommand, formPairs, shellQuote, type ReplayedRequest } from '../../../../console/src/curl.ts';

const KEY = '0b6f3c1e-2a4d-4e8f-9b1c-5d7e9f0a1b2c';
const TOKEN = 'Tok3nOfFortyCharactersXXXXXXXXXXXXXXXXX';
const INBOUND = 'http://127.0.0.1:3000/?pipeline_id=7&key=KEY&token=TOKEN';
const workDirs: string[] = [];
/** Headers the command leaves to curl (curl.ts). */
const NOT_REPLAYED = ['host', 'content-length', 'connection', 'accept-encoding', 'transfer-encoding', 'x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-amzn-trace-id'];

afterAll(() => {
  for (const dir of workDirs) rmSync(dir, { recursive: true, force: true });
});

/** What the shell hands to `curl`: its arguments and standard input, as bytes. */
function runInShell(command: string): { args: Buffer[]; stdin: Buffer; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'hooklake-curl-'));
  workDirs.push(dir);
  const fakeCurl = 'curl() { i=0; for a in "$@"; do i=$((i+1)); printf %s "$a" > "arg.$i"; done; cat > stdin; }';
  const result = spawnSync('sh', ['-c', `${fakeCurl}\n${command}`], {
    cwd: dir,
    input: '',
    env: { PATH: process.env.PATH, HOOKLAKE_KEY: KEY, HOOKLAKE_TOKEN: TOKEN },
  });
  expect(result.status, result.stderr.toString()).toBe(0);
  const files = readdirSync(dir).sort();
  const count = files.filter((name) => name.startsWith('arg.')).length;
  const args = Array.from({ length: count }, (_, index) => readFileSync(join(dir, `arg.${index + 1}`)));
  return { args, stdin: readFileSync(join(dir, 'stdin')), files };
}

/** Characters the shell treats specially, mixed into any Unicode text (surrogate pairs included). */
const hostileText = (options: { nul?: boolean; newline?: boolean } = {}) =>
  fc.string({
    unit: fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom("'", '"', '$', '$(', '`', '\\', '!', '%', '%b', '\\0', '\0', ';', '|', '&', '*', '~', ' ', '\t', "'\\''", ...(options.newline === false ? [] : ['\n', '\r'])) },
      { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    ),
    maxLength: 40,
  }).map((text) => (options.nul === true ? text : text.replaceAll('\0', '')));

describe('shellQuote', () => {
  it('is one shell word that the shell turns back into exactly the text (full Unicode, every special character)', () => {
    fc.assert(
      fc.property(hostileText(), (text) => {
        const { args } = runInShell(`curl ${shellQuote(text)}`);
        expect(args.map((arg) => arg.toString('utf8'))).toEqual([text]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('curlCommand', () => {
  it('gives curl the method, the URL with the key and token from the shell, every kept header and the body, byte for byte', () => {
    const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,15}$/).filter((name) => !NOT_REPLAYED.includes(name));
    const request = fc.record({
      method: fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'),
      content_type: fc.constantFrom('application/json', 'text/plain', null),
      body: hostileText({ nul: true }),
      headers: fc.dictionary(headerName, hostileText({ newline: false }), { maxKeys: 3 }),
      query: fc.dictionary(hostileText(), fc.oneof(hostileText({ nul: true }), fc.array(hostileText({ nul: true }), { minLength: 1, maxLength: 3 })), { maxKeys: 3 }),
    });
    fc.assert(
      fc.property(request, (sent: ReplayedRequest & { method: string; body: string }) => {
        const { args, stdin } = runInShell(curlCommand(INBOUND, sent));
        const text = args.map((arg) => arg.toString('utf8'));
        expect(text.slice(0, 2)).toEqual(['-X', sent.method]);
        const url = new URL(text[2]!);
        const expectedQuery = [
          ['pipeline_id', '7'],
          ['key', KEY],
          ['token', TOKEN],
          ...Object.entries(sent.query ?? {}).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((item) => [name, item])),
        ];
        expect(`${url.origin}${url.pathname}`).toBe('http://127.0.0.1:3000/');
        expect([...url.searchParams]).toEqual(expectedQuery);
        const headers = Object.entries(sent.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
        expect(text.slice(3, 3 + 2 * headers.length)).toEqual(headers.flatMap((header) => ['-H', header]));
        const rest = args.slice(3 + 2 * headers.length);
        const body = Buffer.from(sent.body, 'utf8');
        if (sent.body.includes('\0')) {
          expect(rest.map(String)).toEqual(['--data-binary', '@-']);
          expect(stdin.equals(body)).toBe(true);
        } else {
          expect(rest.map(String)).toEqual(['--data-raw', sent.body]);
          expect(rest[1]!.equals(body)).toBe(true);
          expect(stdin.length).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('runs no command a sender wrote, whatever the quoting games', () => {
    const attempts = ["'$(touch pwned-1)'", "';touch pwned-2;'", '`touch pwned-3`', "'\\''$(touch pwned-4)", "\\'; touch pwned-5 #", '"$(touch pwned-6)"', "a'\0'$(touch pwned-7)"];
    for (const attempt of attempts) {
      const sent = {
        method: 'POST',
        content_type: 'text/plain',
        body: attempt,
        headers: { 'x-note': attempt.replaceAll('\0', '') },
        query: { [attempt]: attempt },
      };
      const { args, stdin, files } = runInShell(curlCommand(INBOUND, sent));
      expect(files.filter((name) => name.startsWith('pwned'))).toEqual([]);
      const body = attempt.includes('\0') ? stdin : args.at(-1)!;
      expect(body.toString('utf8')).toBe(attempt);
    }
    // The console's own address goes into the URL too: a base path is not trusted either.
    const base = 'http://127.0.0.1:3000/$(touch pwned-8)`touch pwned-9`!x/?pipeline_id=7&key=KEY&token=TOKEN';
    const { args, files } = runInShell(curlCommand(base, { method: 'POST', content_type: null, body: '', headers: {}, query: {} }));
    expect(files.filter((name) => name.startsWith('pwned'))).toEqual([]);
    expect(decodeURIComponent(new URL(args[2]!.toString()).pathname)).toBe('/$(touch pwned-8)`touch pwned-9`!x/');
  });

  it('sends a form body as the form it was (bracket names), and a GET without a body', () => {
    const form = curlCommand(INBOUND, {
      method: 'POST',
      content_type: 'application/x-www-form-urlencoded',
      body: JSON.stringify({ leads: { status: [{ id: '4711' }] }, note: "it's a+b" }),
      headers: {},
      query: {},
    });
    expect(runInShell(form).args.map(String).slice(-2)).toEqual(['--data-raw', 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=4711&note=it%27s+a%2Bb']);
    const get = runInShell(curlCommand(INBOUND, { method: 'GET', content_type: null, body: '{"a":1}', headers: { authorization: '[redacted]', host: 'x' }, query: { type: 'add' } }));
    expect(get.args.map(String)).toEqual(['-X', 'GET', `http://127.0.0.1:3000/?pipeline_id=7&key=${KEY}&token=${TOKEN}&type=add`]);
  });

  it('flattens a form body of any depth without recursion', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const pairs = formPairs(deep);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]![0].startsWith('a[a][a]')).toBe(true);
    expect(pairs[0]![1]).toBe('x');
    expect(formPairs({ b: ['1', null, { c: true }], d: 2 })).toEqual([
      ['b[0]', '1'],
      ['b[1]', ''],
      ['b[2][c]', 'true'],
      ['d', '2'],
    ]);
  });
});

