import { createRequire } from 'node:module';
import { DuckDBInstance } from '@duckdb/node-api';
import { writeFileSync, statSync } from 'node:fs';
const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: unknown[] }[];
const bodies = examples.flatMap((e) => e.examples.map((x) => JSON.stringify(x)));
console.log('payloads', bodies.length, 'mean bytes', Math.round(bodies.reduce((s, b) => s + b.length, 0) / bodies.length));
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
await c.run(`create table b (i int, body varchar)`);
const app = await c.createAppender('b');
bodies.forEach((b, i) => { app.appendInteger(i); app.appendVarchar(b); app.endRow(); });
app.closeSync();
for (const n of [329, 42000]) {
  await c.run(`copy (select 'id' || lpad(r::varchar, 18, '0') as __kdd_request_id, 1796000000 + r * 0.08 as __kdd_request_unix_timestamp, 'k' as __kdd_requester_key, replace(b.body, '"id":', '"id":' || r || ',"x":') as __kdd_request_body, 'POST' as __hl_request_method, '{"content-type":"application/json","x-github-event":"push","x-github-delivery":"' || uuid() || '"}' as __hl_request_headers from range(${n}) t(r) join b on b.i = r % ${bodies.length} order by 2) to '/tmp/h16x/gh.parquet' (format parquet, compression zstd, row_group_size 6144)`);
  const size = statSync('/tmp/h16x/gh.parquet').size;
  console.log(n, 'rows', (size / 2 ** 20).toFixed(1), 'MiB', (size / n).toFixed(0), 'B/row');
  const r = await c.runAndReadAll(`select path_in_schema, sum(total_compressed_size)::bigint as c from parquet_metadata('/tmp/h16x/gh.parquet') group by 1`);
  console.log(r.getRowObjectsJson());
}
