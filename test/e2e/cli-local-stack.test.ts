// The user's path from the README: the `hooklake` binary, run as a separate process, finds the
// local stack through its stack.json, creates a pipeline and a token, and queries what landed.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalStack, type LocalStack } from '../../infra/local/stack.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { eventually, postJson } from '../support/stack.ts';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/hooklake.js');
let dataDir: string;
let stack: LocalStack;
let receiver: Receiver;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'hooklake-e2e-'));
  stack = await startLocalStack({ dataDir, port: 0, sqsPort: 0, dynamodbPort: 0, batchWindowMs: 100, functionsInWorker: true });
});
afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function hooklake(...args: string[]): Promise<any> {
  const { stdout } = await run(process.execPath, [BIN, ...args, '--json'], {
    env: { ...process.env, HOOKLAKE_DATA_DIR: dataDir },
  });
  return JSON.parse(stdout);
}

describe('hooklake CLI against the local stack', () => {
  it('pipelines create, tokens create, a webhook, then query finds it', async () => {
    const pipeline = await hooklake('pipelines', 'create', '--name', 'shop');
    expect(pipeline.pipeline_id).toBeTypeOf('number');
    const token = await hooklake('tokens', 'create', '--name', 'shop');
    expect(token.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(token.token).toMatch(/^[A-Za-z0-9]{40}$/);

    const url = `${stack.info.inboundUrl}/?pipeline_id=${pipeline.pipeline_id}&key=${token.key}&token=${token.token}`;
    const reply = await postJson(url, '{"cart":{"total":42.5}}');
    expect(reply.status).toBe(200);

    const rows = await eventually(async () => {
      const result = await hooklake('query', `select __kdd_request_id as id, __kdd_request_body as body from webhooks where pipeline_id = ${pipeline.pipeline_id}`);
      return result.length === 1 ? result : undefined;
    }, 20_000, 'the webhook to be queryable');
    expect(rows).toEqual([{ id: reply.body.data.__kdd_request_id, body: '{"cart":{"total":42.5}}' }]);

    // The processor has now cached "nobody subscribes" for 10 s. It runs in a worker thread and
    // must hear of a new subscription at once: the next webhook is delivered.
    receiver = await startReceiver();
    const subscription = await hooklake('subscriptions', 'create', '--url', `${receiver.url}/hook`, '--events', 'webhook_received');
    expect(subscription.secret).toMatch(/^whsec_/);
    const second = await postJson(url, '{"cart":{"total":7}}');
    const delivered = await eventually(async () => receiver.requests[0], 8_000, 'the webhook_received delivery');
    expect(JSON.parse(delivered.body)).toMatchObject({
      type: 'webhook_received',
      data: { pipelineId: pipeline.pipeline_id, requestId: second.body.data.__kdd_request_id, body: { cart: { total: 7 } } },
    });

    const [count] = await hooklake('query', `select count(*) as n from webhooks where pipeline_id = ${pipeline.pipeline_id}`);
    expect(count.n).toBe(2);

    await hooklake('tokens', 'revoke', token.key);
    const listed = await hooklake('tokens', 'list');
    const tokens = Array.isArray(listed) ? listed : listed.tokens;
    expect(tokens.find((t: { key: string }) => t.key === token.key).revoked_at).toBeTruthy();
    expect(JSON.stringify(listed)).not.toContain(token.token);
  });
});
