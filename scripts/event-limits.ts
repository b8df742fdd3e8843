// Prints the largest inbound body of each encoding whose HTTP API event still fits a synchronous
// Lambda invocation (6,291,456 bytes), measured on events the local gateway builds from real
// requests: with a plain request (curl's headers) and with API Gateway's 10,240 bytes of request
// line and headers spent at worst. Text bodies are escaped at worst (every byte becomes two).
// Run: node scripts/event-limits.ts
import { createServer, request, type IncomingMessage } from 'node:http';
import { eventBytes, toHttpApiEvent } from '../infra/local/gateway.ts';
import { EVENT_RESERVE_BYTES, LAMBDA_SYNC_EVENT_MAX_BYTES, MAX_BODY_BYTES } from '../shared/domain/ingest/event-limits.ts';

const QUERY = '/?pipeline_id=1&key=d538b946-9d55-405a-9bd2-72d74b1cb8f5&token=Abc123def456GHI789jkl012';

/** One real request's IncomingMessage, to build events from with any body. */
async function capture(headers: Record<string, string>): Promise<IncomingMessage> {
  let captured: IncomingMessage | undefined;
  const server = createServer((req, res) => {
    captured = req;
    req.resume();
    req.on('end', () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: QUERY, method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
  server.close();
  return captured!;
}

/** Largest n for which fits(n) holds (fits is monotonic). */
function largest(fits: (n: number) => boolean): number {
  let low = 0;
  let high = LAMBDA_SYNC_EVENT_MAX_BYTES;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

const worstText = (n: number) => Buffer.from('"'.repeat(n)); // each byte escaped to two
const cases = {
  'plain request (curl/8 headers)': { 'user-agent': 'curl/8.5.0', accept: '*/*' },
  "headers at API Gateway's 10,240-byte limit, escaped at worst": { 'user-agent': '"'.repeat(10_240 - QUERY.length - 120) },
};
for (const [name, headers] of Object.entries(cases)) {
  const textRequest = await capture({ ...headers, 'content-type': 'application/json' });
  const binaryRequest = await capture({ ...headers, 'content-type': 'application/x-www-form-urlencoded' });
  const fits = (req: IncomingMessage, body: (n: number) => Buffer) => (n: number) =>
    eventBytes(toHttpApiEvent(req, body(n), 'ANY /')) <= LAMBDA_SYNC_EVENT_MAX_BYTES;
  const text = largest(fits(textRequest, worstText));
  const base64 = largest(fits(binaryRequest, (n) => Buffer.alloc(n, 0xff)));
  const overhead = eventBytes(toHttpApiEvent(textRequest, Buffer.from('"'), 'ANY /')) - 2;
  console.log(`${name}: the rest of the event ${overhead} bytes; largest text body (escaped at worst) ${text}; largest base64-carried body ${base64}`);
}
console.log(`limits (shared/domain/ingest/event-limits.ts, ${EVENT_RESERVE_BYTES} bytes kept for the rest): text ${MAX_BODY_BYTES.text}, base64 ${MAX_BODY_BYTES.base64}`);
