// Receiver handler cost per request, in process: createReceiverHandler (receiveWebhook:
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
import { medianBy, printResult, type BenchResult, type Figure } from './lib.ts';

const KEY = 'd538b946-9d55-405a-9bd2-72d74b1cb8f5';
const TOKEN = 'Abc123def456GHI789jkl012mno345PQR678stu9';
const QUERY = `pipeline_id=42&key=${KEY}&token=${TOKEN}`;
const WARMUP_ITERATIONS = 5_000;
/** Every case is run this many times over, before any is measured, as a warm instance has served them all. */
const WARMUP_PASSES = 3;
/** Each measurement: ROUNDS rounds of at least ROUND_MS and ROUND_ITERATIONS; the median round counts. */
const ROUNDS = 5;
const ROUND_MS = 300;
const ROUND_ITERATIONS = 3_000;

interface Cost {
  iterations: number;
  wallUs: number;
  cpuUs: number;
}

/** One round: `once` repeated for at least ROUND_MS and ROUND_ITERATIONS, per-iteration wall and CPU (user + system). */
async function round(once: () => unknown | Promise<unknown>): Promise<Cost> {
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
  return { iterations, wallUs: (elapsed * 1000) / iterations, cpuUs: (cpu.user + cpu.system) / iterations };
}

/**
 * The receiver and its reference in alternating rounds, so both see the machine as it is at the
 * time (other work on a shared machine moves both alike): the median round of each, and the
 * median of the rounds' ratios.
 */
async function measurePair(
  subject: () => unknown | Promise<unknown>,
  reference: () => unknown,
): Promise<{ subject: Cost; reference: Cost; cpuRatio: number; wallRatio: number }> {
  for (let i = 0; i < WARMUP_ITERATIONS; i++) {
    await subject();
    await reference();
  }
  const pairs: { subject: Cost; reference: Cost }[] = [];
  for (let r = 0; r < ROUNDS; r++) pairs.push({ subject: await round(subject), reference: await round(reference) });
  return {
    subject: medianBy(pairs.map((p) => p.subject), (c) => c.cpuUs),
    reference: medianBy(pairs.map((p) => p.reference), (c) => c.cpuUs),
    cpuRatio: medianBy(pairs.map((p) => p.subject.cpuUs / p.reference.cpuUs), (x) => x),
    wallRatio: medianBy(pairs.map((p) => p.subject.wallUs / p.reference.wallUs), (x) => x),
  };
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

  // Budgets (CPU per request against its reference): a typical small JSON webhook, and Kommo's form.
  const cases: { name: string; body: string; contentType: string; headers?: Record<string, string>; budget?: number }[] = [
    { name: '300 B JSON', body: BODY_300B, contentType: 'application/json', budget: 2.5 },
    { name: '2 KB JSON', body: body2k(1), contentType: 'application/json' },
    { name: 'Kommo form', body: KOMMO_FORM, contentType: 'application/x-www-form-urlencoded', budget: 5 },
    { name: '300 B JSON + 16 GitHub headers', body: BODY_300B, contentType: 'application/json', headers: GITHUB_HEADERS },
  ];

  // The first case measured would otherwise pay for the compiler's work on code every case shares.
  for (let pass = 0; pass < WARMUP_PASSES; pass++) {
    for (const c of cases) {
      const e = event(c.body, c.contentType, c.headers);
      for (let i = 0; i < WARMUP_ITERATIONS; i++) await handler(e, context);
    }
  }

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

    let sink = 0;
    const measured = await measurePair(
      () => handler(e, context),
      () => {
        sink += JSON.stringify(JSON.parse(jsonText)).length;
      },
    );
    const { subject: receiver, reference } = measured;
    if (sink === 0) throw new Error('reference did no work');
    const bytes = Buffer.byteLength(c.body);
    console.log(
      `receiver-cpu: ${c.name} (${bytes} B): ${receiver.cpuUs.toFixed(1)} µs CPU, ${receiver.wallUs.toFixed(1)} µs wall per request ` +
        `over ${receiver.iterations} (JSON.parse+stringify: ${reference.cpuUs.toFixed(2)} µs CPU; ratio ${measured.cpuRatio.toFixed(2)}x)`,
    );
    figures.push({
      metric: `${c.name} (${bytes} B), CPU per request`,
      value: receiver.cpuUs,
      unit: 'µs',
      reference: { label: 'JSON.parse+stringify', value: reference.cpuUs, unit: 'µs' },
      ratio: measured.cpuRatio,
      ratioMeaning: 'receiver / reference, median of alternating rounds',
      ...(c.budget === undefined ? {} : { target: `<= ${c.budget}x JSON.parse+stringify`, met: measured.cpuRatio <= c.budget }),
    });
    figures.push({
      metric: `${c.name} (${bytes} B), wall per request`,
      value: receiver.wallUs,
      unit: 'µs',
      reference: { label: 'JSON.parse+stringify', value: reference.wallUs, unit: 'µs' },
      ratio: measured.wallRatio,
      ratioMeaning: 'receiver / reference, median of alternating rounds',
    });
    details[c.name] = { bytes, messageBytes: Buffer.byteLength(lastMessage), receiver, reference };
  }
  return {
    bench: 'receiver-cpu',
    figures,
    notes: [
      'handler = createReceiverHandler + receiveWebhook with an in-memory queue; no HTTP, no SDK; receiver and reference measured in alternating rounds after every case has been warmed up',
      `requests enqueued: ${sent}`,
    ],
    details,
  };
}

if (import.meta.main) printResult(await runReceiverCpu());
