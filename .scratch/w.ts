import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { encodeWebhookRows, webhooksObjectKey } from '../shared/domain/lake/objects.ts';
import { newRequestId } from '../shared/domain/credentials.ts';
const root = '/tmp/h16x/wlake';
rmSync(root, { recursive: true, force: true });
const day = Date.UTC(2026, 10, 30) / 1000;
const N = Number(process.argv[2] ?? 100000);
const per = 12;
const t = performance.now();
let bytes = 0;
mkdirSync(`${root}/webhooks/pipeline_id=1/dt=2026-11-30`, { recursive: true });
for (let o = 0; o < N / per; o++) {
  const rows = [];
  for (let i = 0; i < per; i++) {
    const n = o * per + i;
    const ts = day + (n * 86400) / N;
    rows.push({ __kdd_request_id: newRequestId(ts), __kdd_request_unix_timestamp: ts, __kdd_requester_key: '6f1c2a0e-8b7d-4c3e-9f21-0a5b6c7d8e9f', __kdd_request_body: JSON.stringify({ event: ['order.created','order.paid','order.shipped'][n % 3], order: { id: `ORD-${n}`, customer: { id: n % 5000, email: `c${n % 5000}@example.com` }, total: (n % 10000) / 100, currency: 'BRL', items: [{ sku: `SKU-${n % 97}`, qty: 1 + (n % 4) }] }, created_at: new Date(ts * 1000).toISOString() }), __hl_request_method: 'POST', __hl_request_headers: '{"content-type":"application/json","user-agent":"Shop-Hookshot/1.0","x-shop-topic":"orders/paid"}', __hl_request_query: '{}', __hl_provider_delivery_id: null });
  }
  const body = encodeWebhookRows(rows);
  bytes += body.length;
  const key = webhooksObjectKey({ pipelineId: 1, dt: '2026-11-30' }, rows.map((r) => ({ id: r.__kdd_request_id, ts: r.__kdd_request_unix_timestamp })));
  writeFileSync(`${root}/${key}`, body);
}
console.log(N, 'rows', Math.round(N / per), 'objects', (bytes / 2 ** 20).toFixed(1), 'MiB', ((performance.now() - t) / 1000).toFixed(1), 's');
