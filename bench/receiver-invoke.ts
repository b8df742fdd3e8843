// The receiver as one Lambda instance runs it: the bundle the stack deploys (index.mjs and its
// claims.mjs, built with the deploy's esbuild settings) in a fresh Node process, one invocation at
// a time, each sending its message to the SQS emulator (fauxqs) over HTTP. Per invocation: wall
// time, user and system CPU (the handler, SigV4 signing, the HTTP call); peak RSS after small
// requests and after the largest body the receiver accepts (4,669,440 bytes base64-encoded, sent
// through the claim check to the S3 emulator, the S3 client loaded for it). These figures size
// the receiver's memory (infra/stack.ts) and its Lambda duration in docs/cost.md.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { CLAIMS_MODULE_FILE } from '../functions/receiver/app.ts';
import { LAMBDA_BUNDLE_OPTIONS } from '../infra/bundling/esbuild-options.ts';
import { startEmulators } from '../infra/local/emulators.ts';
import { provisionResources } from '../infra/local/resources.ts';
import { RECEIVER_MEMORY_MB } from '../infra/memory-sizes.ts';
import { ENV } from '../shared/config.ts';
import { MAX_BODY_BYTES } from '../shared/domain/ingest/event-limits.ts';
import { BODY_300B } from './bodies.ts';
import { printResult, type BenchResult } from './lib.ts';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const WARMUP = 300;
const INVOCATIONS = 3_000;

/** The child: imports the bundle as Lambda does, invokes it, prints one JSON line. */
const RUNTIME = `
import { handler } from './index.mjs';
const [query, warmup, count, largest] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5] === 'largest'];
const event = (body, contentType, base64) => ({
  version: '2.0', routeKey: 'ANY /', rawPath: '/', rawQueryString: query,
  headers: { 'content-type': contentType, 'user-agent': 'bench' },
  requestContext: { http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'bench' } },
  isBase64Encoded: base64, body,
});
const small = event(${JSON.stringify(BODY_300B)}, 'application/json', false);
const invoke = async (e) => { const r = await handler(e, {}); if (r.statusCode !== 200) throw new Error(r.statusCode + ' ' + r.body); };
for (let i = 0; i < warmup; i++) await invoke(small);
const cpu0 = process.cpuUsage(); const t0 = performance.now();
for (let i = 0; i < count; i++) await invoke(small);
const cpu = process.cpuUsage(cpu0); const wallMs = (performance.now() - t0) / count;
const rssSmallMiB = process.resourceUsage().maxRSS / 1024;
if (largest) {
  const bytes = Buffer.alloc(${MAX_BODY_BYTES.base64}, 0x61); bytes.write('["', 0); bytes.write('"]', bytes.length - 2);
  await invoke(event(bytes.toString('base64'), 'application/octet-stream', true));
}
process.stdout.write(JSON.stringify({ userUs: cpu.user / count, systemUs: cpu.system / count, wallMs, rssSmallMiB, rssPeakMiB: process.resourceUsage().maxRSS / 1024 }));
process.exit(0);
`;

interface ChildFigures {
  userUs: number;
  systemUs: number;
  wallMs: number;
  rssSmallMiB: number;
  rssPeakMiB: number;
}

function runChild(dir: string, env: Record<string, string>, args: string[]): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dir, 'runtime.mjs'), ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out) as ChildFigures) : reject(new Error(`receiver bundle exited with ${code}: ${out}`))));
  });
}

export async function runReceiverInvoke(): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'hooklake-bench-receiver-'));
  const emulators = await startEmulators();
  try {
    mkdirSync(dir, { recursive: true });
    await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [join(REPO, 'functions/receiver/handler.ts')], outfile: join(dir, 'index.mjs'), absWorkingDir: REPO });
    await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [join(REPO, 'functions/receiver/claims.ts')], outfile: join(dir, CLAIMS_MODULE_FILE), absWorkingDir: REPO });
    writeFileSync(join(dir, 'runtime.mjs'), RUNTIME);
    const resources = await provisionResources(emulators.endpoints, { prefix: 'bench-receiver' });
    // What Lambda and the stack set (infra/stack.ts), the emulators standing in for AWS.
    const env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: emulators.endpoints.region,
      AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_SESSION_TOKEN: 'example',
      [ENV.ingestQueueUrl]: resources.ingestQueueUrl,
      [ENV.lakeBucket]: resources.lakeBucket,
      HOOKLAKE_SQS_ENDPOINT: emulators.endpoints.sqs,
      HOOKLAKE_S3_ENDPOINT: emulators.endpoints.s3,
    };
    const query = 'pipeline_id=42&key=d538b946-9d55-405a-9bd2-72d74b1cb8f5&token=Abc123def456GHI789jkl012mno345PQR678stu9';
    const figures = await runChild(dir, env, [query, String(WARMUP), String(INVOCATIONS), 'largest']);
    console.log(
      `receiver-invoke: ${figures.wallMs.toFixed(3)} ms per invocation, ${figures.userUs.toFixed(0)} µs user + ${figures.systemUs.toFixed(0)} µs system CPU; ` +
        `peak RSS ${figures.rssSmallMiB.toFixed(0)} MiB (small requests), ${figures.rssPeakMiB.toFixed(0)} MiB (the largest body)`,
    );
    return {
      bench: 'receiver-invoke',
      figures: [
        { metric: 'wall time per invocation (300 B JSON, one SendMessage to fauxqs)', value: figures.wallMs, unit: 'ms' },
        { metric: 'user CPU per invocation', value: figures.userUs, unit: 'µs' },
        { metric: 'system CPU per invocation (loopback HTTP to the emulator)', value: figures.systemUs, unit: 'µs' },
        { metric: `peak RSS after ${INVOCATIONS.toLocaleString('en-US')} small requests`, value: figures.rssSmallMiB, unit: 'MiB' },
        {
          metric: `peak RSS after the largest body (${MAX_BODY_BYTES.base64.toLocaleString('en-US')} B base64, claim check to S3)`,
          value: figures.rssPeakMiB,
          unit: 'MiB',
          reference: { label: 'the receiver\'s memory size', value: RECEIVER_MEMORY_MB, unit: 'MB' },
          ratio: figures.rssPeakMiB / RECEIVER_MEMORY_MB,
          ratioMeaning: 'peak / memory size',
          target: `<= 75% of ${RECEIVER_MEMORY_MB} MB`,
          met: figures.rssPeakMiB <= 0.75 * RECEIVER_MEMORY_MB,
        },
      ],
      notes: [
        'the deployed bundles in a fresh process, one invocation at a time as one Lambda instance; fauxqs (SQS + S3) in this process on the same 2 cores',
        'on AWS the wall time adds SQS\'s own round trip; CPU at a memory size M gets M/1,769 of a vCPU',
      ],
      details: { ...figures, invocations: INVOCATIONS },
    };
  } finally {
    await emulators.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) printResult(await runReceiverInvoke());
