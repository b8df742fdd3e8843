// The console in a real browser (Debian's Chromium, headless, driven by playwright-core) against
// the real local stack over HTTP: sign in, pipelines, tokens, the live inspector with JSON, form
// and GET webhooks, a rejected one, the id search, XSS bodies that must stay inert, subscriptions
// with a ping, the delivery log and a redelivery; signature verification set, seen and cleared;
// a sync over the lake run to a receiver, its runs page and delivery log. axe-core checks every page (no serious or
// critical violations); screenshots of the main pages go to docs/console/.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sign as signGithub } from '@octokit/webhooks-methods';
import { startTestStack, type TestStack } from '../support/stack.ts';

const CHROMIUM = process.env.HOOKLAKE_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(import.meta.dirname, '../../docs/console');
const AXE_SOURCE = readFileSync(join(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');
const XSS_IMG = '<img src=x onerror=alert(1)>';
const XSS_SCRIPT = '</script><script>alert(1)</script>';

let stack: TestStack;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
let receiver: Server;
let receiverUrl: string;
const received: { method: string; url: string; body: string }[] = [];
const dialogs: string[] = [];
const pageErrors: string[] = [];
const cspViolations: string[] = [];

beforeAll(async () => {
  // Fails (never skips) when there is no browser: .ci/run installs it.
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set HOOKLAKE_CHROMIUM)`);
  stack = await startTestStack({ authCacheTtlSeconds: 0, subscriptionCacheSeconds: 0 });
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', body });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks from the receiver');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  userDataDir = mkdtempSync(join(tmpdir(), 'hooklake-chromium-'));
  // A fresh profile directory per run (playwright passes it as --user-data-dir).
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1360, height: 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (dialog) => {
    // confirm() of a delete is ours; anything else (alert from an injected script) is a failure.
    if (dialog.type() === 'confirm') return void dialog.accept();
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
  await new Promise((resolve) => (receiver === undefined ? resolve(undefined) : receiver.close(resolve)));
  await stack?.dispose();
});

// A failing step leaves a screenshot of what the browser showed (HOOKLAKE_FAILURE_SHOTS, default the temp dir).
afterEach(async (context) => {
  if (context.task.result?.state !== 'fail' || page === undefined) return;
  const file = join(process.env.HOOKLAKE_FAILURE_SHOTS ?? tmpdir(), `hooklake-console-failure-${context.task.name.slice(0, 40).replaceAll(/\W+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
  console.error(`screenshot of the failure: ${file}`);
});

const consoleUrl = (path: string) => `${stack.info.apiUrl}/console${path}`;

/** axe-core on the current page: no serious or critical violations. Injected through the DevTools protocol, so the page's CSP stays on. */
async function checkAccessibility(name: string): Promise<void> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<{ violations: { id: string; impact: string; nodes: { target: unknown }[] }[] }> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { resultTypes: ['violations'] });
    return result.violations.map((violation) => ({ id: violation.id, impact: violation.impact, targets: violation.nodes.map((node) => JSON.stringify(node.target)) }));
  });
  const severe = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  expect(severe, `${name}: ${JSON.stringify(severe)}`).toEqual([]);
}

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

async function sendWebhook(url: string, init: RequestInit): Promise<string> {
  const response = await fetch(url, init);
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { __kdd_request_id: string } }).data.__kdd_request_id;
}

/** Waits for a request's row in the live table (it must appear by itself, without a reload). */
async function waitForRow(id: string) {
  const row = page.locator(`tr[data-request-id="${id}"]`);
  await row.waitFor({ timeout: 6000 });
  return row;
}

async function openRequest(id: string) {
  await page.locator(`tr[data-request-id="${id}"] button`).click();
  await page.getByTestId('request-detail').getByRole('heading', { name: `Request ${id}` }).waitFor();
  return page.getByTestId('request-detail');
}

let pipelineId: number;
let ingestKey: string;
let ingestToken: string;

describe('the console in Chromium', { timeout: 120_000 }, () => {
  it('serves the app with a strict CSP and no framing, deep links included', async () => {
    const response = await fetch(consoleUrl('/pipelines/1/live'));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response.text()).not.toMatch(/<script>|<style>|https?:\/\//);
    expect((await fetch(consoleUrl('/assets/nope.js'))).status).toBe(404);
  });

  it('signs in with the admin credential into sessionStorage only', async () => {
    await page.goto(consoleUrl('/'));
    await page.getByLabel('Admin credential').waitFor();
    await checkAccessibility('sign in');
    await shot('sign-in');
    await page.getByLabel('Admin credential').fill('hla_0000000000000000_wrong');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'UNAUTHORIZED' }).waitFor();
    await page.getByLabel('Admin credential').fill(stack.info.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Pipelines', level: 1 }).waitFor();
    expect(page.url()).toBe(consoleUrl('/pipelines'));
    const storage = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage } }));
    expect(Object.values(storage.session)).toEqual([stack.info.adminToken]);
    expect(storage.local).toEqual({});
  });

  it('creates a pipeline and shows its inbound URL with the key and token slots', async () => {
    await page.getByLabel('Name').fill('shop');
    await page.getByRole('button', { name: 'Create pipeline' }).click();
    const url = await page.getByTestId('inbound-url').textContent();
    const match = /\/\?pipeline_id=(\d+)&key=<KEY>&token=<TOKEN>$/.exec(url ?? '');
    expect(match, String(url)).not.toBeNull();
    pipelineId = Number(match![1]);
    await page.getByRole('cell', { name: 'shop' }).waitFor();
    await checkAccessibility('pipelines');
    await shot('pipelines');
  });

  it('creates a token scoped to the pipeline, shown once, and lists it without its secret', async () => {
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByLabel('Name').fill('shop sender');
    await page.getByLabel(/^Pipelines/).fill(String(pipelineId));
    await page.getByRole('button', { name: 'Create token' }).click();
    ingestKey = (await page.getByTestId('created-key').textContent())!;
    ingestToken = (await page.getByTestId('created-token').textContent())!;
    expect(ingestToken).toMatch(/^[0-9A-Za-z]{40}$/);
    await page.getByRole('button', { name: 'Copy token' }).click();
    expect(await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText())).toBe(ingestToken);
    await page.getByRole('cell', { name: ingestKey }).waitFor();
    await checkAccessibility('tokens');
    await shot('tokens');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.content()).not.toContain(ingestToken);
  });

  it('shows JSON, form and GET webhooks live with headers and body, a rejected one with its reason, and finds one by id', async () => {
    // A deep link loads the app directly; the credential survives the reload in this tab.
    await page.goto(consoleUrl(`/pipelines/${pipelineId}/live`));
    await page.getByText('Waiting for requests…').waitFor();
    const url = stack.webhookUrl(pipelineId, ingestKey, ingestToken);

    const json = await sendWebhook(`${url}&source=github`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', authorization: 'Bearer SECRET-never-shown' },
      body: '{"order":{"id":987,"status":"paid"},"items":[1,2]}',
    });
    const sentAt = Date.now();
    (await waitForRow(json)).getByText('landed').waitFor();
    expect(Date.now() - sentAt).toBeLessThan(5000);
    let detail = await openRequest(json);
    await detail.locator('.json-tree .json-key', { hasText: '"status"' }).waitFor();
    await detail.locator('.json-tree .json-string', { hasText: '"paid"' }).waitFor();
    await detail.getByRole('row', { name: /x-github-event push/ }).waitFor();
    await detail.getByRole('row', { name: /authorization \[redacted\]/ }).waitFor();
    await detail.getByRole('row', { name: /source github/ }).waitFor();
    const curl = (await page.getByTestId('curl').textContent())!;
    expect(curl).toContain('token=$HOOKLAKE_TOKEN');
    expect(curl).toContain('source=github');
    expect(curl).toContain(`--data-raw '{"order":{"id":987,"status":"paid"},"items":[1,2]}'`);
    expect(curl).not.toContain(ingestToken);
    expect(curl).not.toContain('SECRET-never-shown');

    const form = await sendWebhook(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=4711&note=a+b',
    });
    await waitForRow(form);
    detail = await openRequest(form);
    await detail.locator('.json-tree .json-string', { hasText: '"4711"' }).waitFor();
    await detail.getByRole('row', { name: /content-type application\/x-www-form-urlencoded/ }).waitFor();
    expect(await page.getByTestId('curl').textContent()).toContain("--data-raw 'leads%5Bstatus%5D%5B0%5D%5Bid%5D=4711&note=a+b'");

    const get = await sendWebhook(`${url}&type=add&mobile=61438333061`, { method: 'GET', headers: { 'user-agent': 'kudosity' } });
    await (await waitForRow(get)).getByRole('cell', { name: 'GET', exact: true }).waitFor();
    detail = await openRequest(get);
    await detail.getByRole('row', { name: /mobile 61438333061/ }).waitFor();
    await detail.getByRole('row', { name: /user-agent kudosity/ }).waitFor();

    const rejected = await sendWebhook(stack.webhookUrl(pipelineId, ingestKey, 'WrongToken123'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"who":"impostor"}',
    });
    (await waitForRow(rejected)).getByText('rejected: wrong token').waitFor();
    detail = await openRequest(rejected);
    await detail.getByText('rejected: wrong token').waitFor();
    expect(await page.content()).not.toContain('WrongToken123');

    // Newest first.
    const order = await page.locator('tr[data-request-id]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-request-id')));
    expect(order.indexOf(rejected)).toBeLessThan(order.indexOf(json));

    // Search by the id a sender was given, from a fresh page (the row is not in its list yet).
    await page.goto(consoleUrl(`/pipelines/${pipelineId}/live`));
    await page.getByLabel('Find by request id').fill(json);
    await page.getByRole('button', { name: 'Find' }).click();
    await page.getByTestId('request-detail').getByRole('heading', { name: `Request ${json}` }).waitFor();
    await page.getByTestId('request-detail').locator('.json-tree .json-string', { hasText: '"paid"' }).waitFor();
    await checkAccessibility('live');
    await shot('live');
  });

  it('renders hostile bodies, parameters and headers as text: no dialog, no script error', async () => {
    const url = stack.webhookUrl(pipelineId, ingestKey, ingestToken);
    // Each request, and a text it must show as those very characters.
    const sent: [string, string][] = [
      [await sendWebhook(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ html: XSS_IMG, script: XSS_SCRIPT, [XSS_IMG]: 1 }) }), XSS_IMG],
      [await sendWebhook(url, { method: 'POST', headers: { 'content-type': 'text/html' }, body: JSON.stringify(XSS_SCRIPT) }), XSS_SCRIPT],
      [await sendWebhook(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ a: XSS_IMG, b: XSS_SCRIPT }).toString() }), XSS_SCRIPT],
      [await sendWebhook(`${url}&${new URLSearchParams({ q: XSS_SCRIPT, r: XSS_IMG })}`, { method: 'GET', headers: { 'x-evil': XSS_IMG } }), XSS_IMG],
    ];
    for (const [id, text] of sent) {
      await waitForRow(id);
      const detail = await openRequest(id);
      await detail.getByText(text).first().waitFor();
      expect(await detail.locator('img, script').count()).toBe(0);
    }
    await page.waitForTimeout(500);
    expect(await page.locator('main img').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it('shows the pipeline with its 7-day chart of landed and rejected requests', async () => {
    await page.goto(consoleUrl(`/pipelines/${pipelineId}`));
    const today = new Date().toISOString().slice(0, 10);
    const row = page.getByTestId('stats-table').getByRole('row', { name: new RegExp(today) });
    await row.getByText('wrong token: 1').waitFor();
    // JSON, form and GET, then the four hostile ones.
    expect(await row.locator('td').nth(1).textContent()).toBe('7');
    expect(await page.locator('.chart svg rect').count()).toBeGreaterThanOrEqual(2);
    await checkAccessibility('pipeline');
    await shot('pipeline');
  });

  it("shows the pipeline's typed columns, refreshed on demand, hostile examples as text", async () => {
    const panel = page.getByTestId('schema-panel');
    await panel.getByText('No typed columns yet').waitFor();
    await panel.getByRole('button', { name: 'Refresh now' }).click();
    const table = page.getByTestId('schema-table');
    await table.waitFor();
    // The JSON webhook's {"order":{"id":987,…},"items":[1,2]}, the form's and GET's text fields, the hostile ones.
    await table.getByRole('row', { name: /order_id bigint/ }).waitFor();
    await table.getByRole('row', { name: /items json/ }).waitFor();
    await table.getByRole('row', { name: /mobile bigint/ }).waitFor();
    const hostile = table.getByRole('row', { name: /^html varchar/ });
    expect(await hostile.locator('code.example').textContent()).toBe(XSS_IMG);
    expect(await panel.getByText(`select * from pipeline_${pipelineId}`).count()).toBe(1);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    await checkAccessibility('pipeline schema');
    await panel.screenshot({ path: join(SCREENSHOTS, 'pipeline-schema.png') });
  });

  it('creates a subscription to a local receiver, pings it, shows the delivery log with attempts and redelivers', async () => {
    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.getByLabel('Webhook URL').fill(receiverUrl);
    await page.getByLabel('Events (comma-separated)').fill('webhook_received');
    await page.getByLabel('Pipeline (optional id)').fill(String(pipelineId));
    await page.getByLabel(/Custom headers/).fill('X-Receiver-Key: abc123');
    await page.getByRole('button', { name: 'Create subscription' }).click();
    expect(await page.getByTestId('created-secret').textContent()).toMatch(/^whsec_/);
    const row = page.locator('tr[data-subscription-id]');
    await row.waitFor();
    const subscriptionId = (await row.getAttribute('data-subscription-id'))!;

    await row.getByRole('button', { name: 'Test ping' }).click();
    await page.getByTestId('ping-result').getByText('HTTP 200').waitFor();
    await page.getByTestId('ping-result').getByText('thanks from the receiver').waitFor();
    expect(received.some((request) => request.body.includes('"type":"ping"'))).toBe(true);

    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByRole('cell', { name: 'disabled' }).waitFor();
    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByRole('cell', { name: 'enabled' }).waitFor();
    await checkAccessibility('subscriptions');
    await shot('subscriptions');

    const id = await sendWebhook(stack.webhookUrl(pipelineId, ingestKey, ingestToken), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"deliver":"me"}' });
    await page.getByRole('link', { name: 'Deliveries' }).click();
    const delivery = page.locator('article.delivery').filter({ hasText: 'webhook_received' });
    for (let i = 0; i < 40 && (await delivery.count()) === 0; i++) {
      await page.waitForTimeout(250);
      await page.getByRole('button', { name: 'Refresh' }).click();
    }
    await delivery.getByText('succeeded').waitFor();
    await delivery.getByRole('cell', { name: '200', exact: true }).waitFor();
    await delivery.getByText('thanks from the receiver').waitFor();
    expect(received.some((request) => request.body.includes(id))).toBe(true);

    await delivery.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
    for (let i = 0; i < 40 && (await delivery.locator('tbody tr').count()) < 2; i++) {
      await page.waitForTimeout(250);
      await page.getByRole('button', { name: 'Refresh' }).click();
    }
    expect(await delivery.locator('tbody tr').count()).toBe(2);
    await page.getByRole('button', { name: 'Redeliver failed' }).click();
    await page.getByRole('status').filter({ hasText: '0 failed deliveries queued again.' }).waitFor();
    expect(page.url()).toBe(consoleUrl(`/subscriptions/${subscriptionId}`));
    await checkAccessibility('subscription');
    await shot('subscription');

    await page.getByRole('link', { name: 'Subscriptions' }).click();
    await page.locator('tr[data-subscription-id]').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No subscriptions yet.').waitFor();
  });

  it('sets github verification on the pipeline: a signed request lands, a wrongly signed one shows as rejected: bad signature, counted in the chart; clears it', async () => {
    const secret = 'It is a secret to everybody';
    await page.goto(consoleUrl(`/pipelines/${pipelineId}`));
    await page.getByTestId('verification-state').getByText('Off').waitFor();
    await page.getByLabel('Provider').selectOption('github');
    await page.getByLabel('Secret', { exact: true }).fill(secret);
    await page.getByRole('button', { name: 'Verify signatures' }).click();
    await page.getByTestId('verification-state').getByText('1 secret active').waitFor();
    await page.getByTestId('verification-provider').getByText('verified: github').waitFor();
    expect(await page.getByLabel('Secret', { exact: true }).inputValue()).toBe('');
    expect(await page.content()).not.toContain(secret);

    const url = stack.webhookUrl(pipelineId, ingestKey, ingestToken);
    const body = '{"action":"opened","number":42}';
    const signed = await sendWebhook(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-hub-signature-256': await signGithub(secret, body) },
      body,
    });
    const forged = await sendWebhook(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-hub-signature-256': await signGithub('not the secret', body) },
      body,
    });
    await page.goto(consoleUrl(`/pipelines/${pipelineId}/live`));
    (await waitForRow(signed)).getByText('landed').waitFor();
    const forgedBadge = (await waitForRow(forged)).locator('[data-reason="bad_signature"]');
    await forgedBadge.waitFor();
    expect(await forgedBadge.textContent()).toBe('rejected: bad signature');

    await page.goto(consoleUrl(`/pipelines/${pipelineId}`));
    const today = new Date().toISOString().slice(0, 10);
    await page.getByTestId('stats-table').getByRole('row', { name: new RegExp(today) }).getByText('bad signature: 1').waitFor();
    await page.locator('.legend').getByText('rejected: bad signature').waitFor();
    await checkAccessibility('pipeline with verification');
    await shot('verification');
    await page.getByRole('button', { name: 'Stop verifying' }).click();
    await page.getByTestId('verification-state').getByText('Off').waitFor();
    await page.getByTestId('verification-provider').getByText('not verified').waitFor();
  });

  it('refuses a sync whose endpoint does not answer the ping, with the answer; creates one over the lake rows to a local receiver, runs it: the runs page counts equal what the receiver got, the delivery log shows each', async () => {
    const syncPath = '/hook-sync';
    const syncName = `crm ${XSS_IMG}`;
    await page.goto(consoleUrl('/pipelines'));
    await page.getByRole('link', { name: 'Syncs' }).click();
    await page.getByText('No syncs yet.').waitFor();
    // An endpoint that does not answer the signed ping: the creation is refused with what happened.
    await page.getByLabel('Name', { exact: true }).fill(syncName);
    await page.getByLabel(/^SQL/).fill('select 1 as id');
    await page.getByLabel(/^Primary key/).fill('id');
    await page.getByLabel('Webhook URL').fill('http://127.0.0.1:1/nobody-home');
    await page.getByRole('button', { name: 'Create sync' }).click();
    await page.getByRole('alert').filter({ hasText: 'CONNECTION_TEST_FAILED' }).getByText(/no HTTP answer \(connection\)/).waitFor();
    await page.getByText('No syncs yet.').waitFor();

    await page.getByLabel(/^SQL/).fill(`select __kdd_request_id as request_id, '${XSS_SCRIPT}' as note\nfrom webhooks where pipeline_id = ${pipelineId}`);
    await page.getByLabel(/^Primary key/).fill('request_id');
    await page.getByLabel('Mode').selectOption('upsert');
    await page.getByLabel('Webhook URL').fill(`${new URL(receiverUrl).origin}${syncPath}`);
    await page.getByLabel(/^Mapping/).fill('request_id:id,note:note');
    await page.getByLabel(/Custom headers/).fill('X-Crm-Account: acme');
    await page.getByRole('button', { name: 'Create sync' }).click();
    expect(await page.getByTestId('created-secret').textContent()).toMatch(/^whsec_/);
    await page.getByTestId('ping-result').getByText('HTTP 200').waitFor();
    const row = page.locator('tr[data-sync-id]');
    await row.getByText(syncName).waitFor();
    const syncId = (await row.getAttribute('data-sync-id'))!;
    await checkAccessibility('syncs');
    await shot('syncs');

    const rowOps = () => received.filter((request) => request.url.startsWith(syncPath) && !request.body.includes('"type":"ping"'));
    await row.getByRole('button', { name: 'Run now' }).click();
    await page.waitForURL(consoleUrl(`/syncs/${syncId}`));
    // The runs page reads itself again while the run goes: no clicks until it has succeeded.
    const run = page.getByTestId('runs-table').locator('tr[data-run-id]');
    await run.getByText('succeeded').waitFor({ timeout: 30_000 });
    const got = rowOps();
    expect(got.length).toBeGreaterThanOrEqual(7); // the webhooks landed by the steps above
    expect(await run.locator('[data-count="delivered"]').textContent()).toBe(String(got.length));
    expect(await run.locator('[data-op="upsert"]').textContent()).toBe(String(got.length));
    expect(await run.locator('[data-count="failed"]').textContent()).toBe('0');
    expect(await run.locator('[data-count="pending"]').textContent()).toBe('0');
    expect(got.every((request) => JSON.parse(request.body)._valmi_meta._valmi_sync_op === 'upsert')).toBe(true);

    const deliveries = page.locator('article.delivery');
    await expect.poll(() => deliveries.count(), { timeout: 10_000 }).toBe(got.length);
    await deliveries.first().getByRole('cell', { name: '200', exact: true }).waitFor();
    await deliveries.first().getByText('thanks from the receiver').waitFor();
    await deliveries.first().getByRole('button', { name: 'Redeliver' }).click();
    await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
    await expect.poll(async () => rowOps().length, { timeout: 10_000 }).toBe(got.length + 1);

    await page.getByTestId('sync-sql').getByText(XSS_SCRIPT).waitFor();
    expect(await page.locator('main img, main script').count()).toBe(0);
    await checkAccessibility('sync');
    await shot('sync');

    await page.getByRole('link', { name: 'Syncs' }).click();
    await page.getByRole('button', { name: `Delete sync ${syncName}` }).click();
    await page.getByText('No syncs yet.').waitFor();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('signs out, clearing the credential', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin credential').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.goto(consoleUrl('/tokens'));
    await page.getByLabel('Admin credential').waitFor();
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
