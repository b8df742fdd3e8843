// Receiver handler cost per request, in process: createReceiverHandler (middy + receiveWebhook:
// parse the query, check the body, capture the headers, hash the token, serialize the message)
// with the queue stubbed by an in-memory IngestQueue. The first three cases carry three headers;
// the last, the sixteen a GitHub delivery through API Gateway has. Reference, same run and loop:
// JSON.parse + JSON.stringify of the same body (for the form body, of the JSON text the receiver
// makes of it).
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createReceiverHandler } from '../functions/receiver/app.ts';
import { systemClock } from '../shared/domain/clock.ts';
import { interpretInbound } from '../shared/domain/ingest/kondado.ts';
import type { ClaimStore } from '../shared/ports/ingest.ts';
import type { ReceiveDeps } from '../shared/services/ingest/receive.ts';
import { BODY_300B, body2k, KOMMO_FORM } from './bodies.ts';
import { printResult, type BenchResult, type Figure } from './lib.ts';

const KEY = 'd538b946-9d55-405a-9bd2-72d74b1cb8f5';
const TOKEN = 'Abc123def456GHI789jkl012mno345PQR678stu9';
const QUERY = `pipeline_id=42&key=${KEY}&token=${TOKEN}`;
const WARMUP_ITERATIONS = 5_000;
/** Each measurement: ROUNDS rounds of at least ROUND_MS and ROUND_ITERATIONS; the median round counts. */
const ROUNDS = 3;
const ROUND_MS = 300;
const ROUND_ITERATIONS = 3_000;

interface Cost {
  iterations: number;
  wallUs: number;
  cpuUs: number;
}

/** Per-iteration wall and CPU (user + system) time of `once`, median of ROUNDS rounds by CPU. */
async function measure(once: () => unknown | Promise<unknown>): Promise<Cost> {
  for (let i = 0; i < WARMUP_ITERATIONS; i++) await once();
  const rounds: Cost[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    let iterations = 0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let elapsed = 0;
    while (iterations < ROUND_ITERATIONS || elapsed < ROUND_MS) {
      for (let i = 0; i < 500; i++) await once();
      iterations += 500;
      elapsed = performance.now() - t0;
    }
    const cpu = process.cpuUsage(cpu0);
    rounds.push({ iterations, wallUs: (elapsed * 1000) / iterations, cpuUs: (cpu.user + cpu.system) / iterations });
  }
  return rounds.sort((a, b) => a.cpuUs - b.cpuUs)[rounds.length >> 1]!;
}

/**
 * What API Gateway adds and GitHub sends with a push delivery: the headers the receiver captures
 * on a typical request (names lower-case, none a credential).
 */
const GITHUB_HEADERS = {
  accept: '*/*',
  'user-agent': 'GitHub-Hookshot/044aadd',
  'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678',
  'x-forwarded-for': '140.82.115.10',
  'x-forwarded-port': '443',
  'x-forwarded-proto': 'https',
  'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
  'x-github-event': 'push',
  'x-github-hook-id': '292430182',
  'x-github-hook-installation-target-id': '79929171',
  'x-github-hook-installation-target-type': 'repository',
  'x-hub-signature': 'sha1=7d38cdd689735b008b3c702edd92eea23791c5f6',
  'x-hub-signature-256': 'sha256=d57c68ca6f92289e6987922ff26938930f6e66a2d161ef06abdf1859230aa23c',
};

function event(body: string, contentType: string, extraHeaders: Record<string, string> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'ANY /',
    rawPath: '/',
    rawQueryString: QUERY,
    headers: { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), host: 'hooks.example.com', ...extraHeaders },
    requestContext: { http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' } } as APIGatewayProxyEventV2['requestContext'],
    isBase64Encoded: false,
    body,
  };
}

export async function runReceiverCpu(): Promise<BenchResult> {
  let sent = 0;
  let lastMessage = '';
  const noClaims: ClaimStore = {
    put: async () => Promise.reject(new Error('no claim checks expected')),
    get: async () => Promise.reject(new Error('no claim checks expected')),
  };
  const deps: ReceiveDeps = {
    queue: {
      send: async (text) => {
        sent++;
        lastMessage = text;
      },
    },
    claims: async () => noClaims,
    clock: systemClock,
    lakeBucket: 'lake',
    maxBodyBytes: 6_000_000,
    maxMessageBytes: 1_000_000,
  };
  const handler = createReceiverHandler(deps);
  const context = {} as Context;

  const cases = [
    { name: '300 B JSON', body: BODY_300B, contentType: 'application/json' },
    { name: '2 KB JSON', body: body2k(1), contentType: 'application/json' },
    { name: 'Kommo form', body: KOMMO_FORM, contentType: 'application/x-www-form-urlencoded' },
    { name: '300 B JSON + 16 GitHub headers', body: BODY_300B, contentType: 'application/json', headers: GITHUB_HEADERS },
  ];

  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  for (const c of cases) {
    const e = event(c.body, c.contentType, c.headers);
    const first = await handler(e, context);
    if (first.statusCode !== 200) throw new Error(`${c.name}: receiver answered ${first.statusCode} ${first.body}`);
    // The text the receiver stores as __kdd_request_body: the reference parses and re-serializes it.
    const decision = interpretInbound({ method: 'POST', rawQueryString: QUERY, contentType: c.contentType, body: Buffer.from(c.body) }, deps.maxBodyBytes);
    if (!decision.ok) throw new Error(`${c.name}: ${decision.error}`);
    const jsonText = decision.request.body;

    const receiver = await measure(() => handler(e, context));
    let sink = 0;
    const reference = await measure(() => {
      sink += JSON.stringify(JSON.parse(jsonText)).length;
    });
    if (sink === 0) throw new Error('reference did no work');
    const bytes = Buffer.byteLength(c.body);
    console.log(
      `receiver-cpu: ${c.name} (${bytes} B): ${receiver.cpuUs.toFixed(1)} µs CPU, ${receiver.wallUs.toFixed(1)} µs wall per request ` +
        `over ${receiver.iterations} (JSON.parse+stringify: ${reference.cpuUs.toFixed(2)} µs CPU)`,
    );
    figures.push({
      metric: `${c.name} (${bytes} B), CPU per request`,
      value: receiver.cpuUs,
      unit: 'µs',
      reference: { label: 'JSON.parse+stringify', value: reference.cpuUs, unit: 'µs' },
      ratio: receiver.cpuUs / reference.cpuUs,
      ratioMeaning: 'receiver / reference',
    });
    figures.push({
      metric: `${c.name} (${bytes} B), wall per request`,
      value: receiver.wallUs,
      unit: 'µs',
      reference: { label: 'JSON.parse+stringify', value: reference.wallUs, unit: 'µs' },
      ratio: receiver.wallUs / reference.wallUs,
      ratioMeaning: 'receiver / reference',
    });
    details[c.name] = { bytes, messageBytes: Buffer.byteLength(lastMessage), receiver, reference };
  }
  return {
    bench: 'receiver-cpu',
    figures,
    notes: [
      'handler = middy + receiveWebhook with an in-memory queue; no HTTP, no SDK',
      `requests enqueued: ${sent}`,
    ],
    details,
  };
}

if (import.meta.main) printResult(await runReceiverCpu());
