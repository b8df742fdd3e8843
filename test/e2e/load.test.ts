// 10,000 webhooks from 50 concurrent senders through the local stack over HTTP: all land, and the
// lake stores exactly the ids the senders were told, each once (webhooks_raw, not the deduplicated view).
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestStack, type TestStack } from '../support/stack.ts';

let stack: TestStack;
beforeAll(async () => {
  // As `npm start` runs it: processor and fan-out in their own worker thread.
  // Visibility timeout well above a batch's processing, as on AWS (6 × the function timeout): a
  // message is received twice only if its batch really failed, so a duplicate row is a finding.
  stack = await startTestStack({ functionsInWorker: true, visibilityTimeoutSeconds: 30 });
});
afterAll(async () => stack?.dispose());

const TOTAL = 10_000;
const SENDERS = 50;

describe('load', () => {
  it(`${TOTAL} webhooks from ${SENDERS} concurrent senders are each stored exactly once, with the ids they were told`, async () => {
    const pipelineId = await stack.createPipeline('load');
    const { key, token } = await stack.createToken();
    const origin = new URL(stack.info.apiUrl);
    const pool = new Pool(origin, { connections: SENDERS, pipelining: 1 });
    const path = `/?pipeline_id=${pipelineId}&key=${key}&token=${token}`;
    const told: string[] = [];
    let next = 0;
    const started = performance.now();
    try {
      await Promise.all(
        Array.from({ length: SENDERS }, async (_, sender) => {
          while (next < TOTAL) {
            const n = next++;
            const response = await pool.request({
              method: 'POST',
              path,
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ sender, n, item: { sku: `SKU-${n}`, qty: n % 7 } }),
            });
            const reply = (await response.body.json()) as { success: boolean; data: { __kdd_request_id: string } };
            expect(response.statusCode).toBe(200);
            told.push(reply.data.__kdd_request_id);
          }
        }),
      );
    } finally {
      await pool.close();
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`load: ${TOTAL} requests in ${seconds.toFixed(1)} s (${Math.round(TOTAL / seconds)} req/s)`);
    expect(told).toHaveLength(TOTAL);
    expect(new Set(told).size).toBe(TOTAL);

    await eventually(
      async () => {
        const [row] = await stack.query(`select count(*) as n from webhooks_raw where pipeline_id = ${pipelineId}`);
        return Number(row!.n) >= TOTAL ? true : undefined;
      },
      60_000,
      'all rows to land',
    );
    const rows = await stack.query(`select __kdd_request_id as id from webhooks_raw where pipeline_id = ${pipelineId} order by id`);
    expect(rows.map((row) => row.id)).toEqual([...told].sort());
  }, 180_000);
});
