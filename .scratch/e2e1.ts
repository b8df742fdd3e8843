import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestStack, eventually } from '../test/support/stack.ts';
import { runCli } from '../test/support/cli-harness.ts';
const stack = await startTestStack({ batchSize: 5, batchWindowMs: 0, compactionIntervalMs: 0 });
try {
  const dir = mkdtempSync(join(tmpdir(), 'h16-cli-'));
  writeFileSync(join(dir, 'stack.json'), JSON.stringify(stack.info));
  const pipelineId = await stack.createPipeline('c');
  const { key, token } = await stack.createToken();
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    const r = await fetch(stack.webhookUrl(pipelineId, key, token), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ i }) });
    ids.push(((await r.json()) as any).data.__kdd_request_id);
  }
  await eventually(async () => ((await stack.query('select count(*)::int as n from webhooks'))[0]!.n === 60 ? true : undefined), 30000, 'landed');
  const before = await stack.query(`select count(*)::int as n from webhooks_raw`);
  console.log('before', before);
  const t = performance.now();
  const run = await runCli(['lake', 'compact', '--older-than', '0s', '--grace', '0s'], { cwd: dir });
  console.log(run.code, run.stdout, run.stderr, performance.now() - t);
  console.log(await stack.query(`select count(*)::int as n, count(distinct __kdd_request_id)::int as d from webhooks`), await stack.query(`select count(*)::int as n from webhooks_raw`));
  const { ListObjectsV2Command } = await import('@aws-sdk/client-s3');
  const l = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.info.resources.lakeBucket }));
  console.log(l.Contents?.map((c) => `${c.Key} ${c.Size}`));
  const f = await stack.admin('GET', `/v4/pipelines/${pipelineId}/requests/${ids[0]}`);
  console.log(f.status, JSON.stringify(f.body).slice(0, 200));
} finally {
  await stack.dispose();
}
