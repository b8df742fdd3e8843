// The console in Chromium against the real local stack, with what an attacker controls: a crafted
// console link (an id that is not an id), bodies that are not JSON and carry HTML, and JSON nested
// or repeated far beyond any real payload. The page must stay a page: not-found for a crafted id
// with no API call made, text for HTML, a usable tree for deep JSON. Screenshots go to docs/console/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.ts';

const CHROMIUM = process.env.HOOKLAKE_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(import.meta.dirname, '../../docs/console');
const AXE_SOURCE = readFileSync(join(import.meta.dirname, '../../node_modules/axe-core/axe.min.js'), 'utf8');
const DEEP = 100_000;

let stack: TestStack;
let context: BrowserContext;
let page: Page;
let userDataDir: string;
const dialogs: string[] = [];
const pageErrors: string[] = [];
const cspViolations: string[] = [];
/** Every management API call the page makes: `METHOD /v4/…?query`. */
const apiCalls: string[] = [];
let pipelineId: number;
let ingest: { key: string; token: string };

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set HOOKLAKE_CHROMIUM)`);
  stack = await startTestStack({ authCacheTtlSeconds: 0, subscriptionCacheSeconds: 0 });
  pipelineId = await stack.createPipeline('crafted');
  ingest = await stack.createToken([pipelineId]);
  userDataDir = mkdtempSync(join(tmpdir(), 'hooklake-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1360, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('dialog', (dialog) => {
    if (dialog.type() === 'confirm') return void dialog.accept();
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on('request', (request: Request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/v4/')) apiCalls.push(`${request.method()} ${url.pathname}${url.search}`);
  });
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.goto(consoleUrl('/'));
  await page.getByLabel('Admin credential').fill(stack.info.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Pipelines', level: 1 }).waitFor();
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir !== undefined) rmSync(userDataDir, { recursive: true, force: true });
  await stack?.dispose();
});

afterEach(async (test) => {
  if (test.task.result?.state !== 'fail' || page === undefined) return;
  const file = join(process.env.HOOKLAKE_FAILURE_SHOTS ?? tmpdir(), `hooklake-console-failure-${test.task.name.slice(0, 40).replaceAll(/\W+/g, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
  console.error(`screenshot of the failure: ${file}`);
});

const consoleUrl = (path: string) => `${stack.info.apiUrl}/console${path}`;
const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

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

async function send(body: string, contentType: string, token = ingest.token): Promise<string> {
  const response = await fetch(stack.webhookUrl(pipelineId, ingest.key, token), { method: 'POST', headers: { 'content-type': contentType }, body });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { __kdd_request_id: string } }).data.__kdd_request_id;
}

/** Opens a request in the live inspector (a fresh page, the id search) and returns its detail pane. */
async function openRequest(id: string) {
  await page.goto(consoleUrl(`/pipelines/${pipelineId}/live`));
  await page.getByLabel('Find by request id').fill(id);
  await page.getByRole('button', { name: 'Find' }).click();
  const detail = page.getByTestId('request-detail');
  await detail.getByRole('heading', { name: `Request ${id}` }).waitFor({ timeout: 20_000 });
  return detail;
}

/** Waits until the request is stored, landed or rejected (the id search finds only what is). */
async function stored(id: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { status } = await stack.admin('GET', `/v4/pipelines/${pipelineId}/requests/${id}`);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`request ${id} never landed`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('the console against hostile input, in Chromium', { timeout: 120_000 }, () => {
  it('shows a crafted link as not found and calls no API with it; "Stop verifying" deletes only the verification', async () => {
    const verify = await stack.admin('PUT', `/v4/pipelines/${pipelineId}/verification`, { provider: 'github', secrets: ['It is a secret to everybody'] });
    expect(verify.status).toBe(200);
    const crafted = [
      `/pipelines/${pipelineId}%3F`,
      `/pipelines/${pipelineId}%3F%2Fverification`,
      `/pipelines/${pipelineId}%3F/live`,
      `/pipelines/${pipelineId}%23`,
      `/pipelines/0${pipelineId}`,
      `/pipelines/%2E%2E%2F${pipelineId}`,
      '/pipelines/%E0%A4%A',
      '/subscriptions/sub_0123456789abcdef0123%3F',
      '/subscriptions/..%2Fpipelines',
      '/syncs/syn_0123456789abcdef0123%3F',
      '/syncs/syn_0123456789abcdef0123%2F..%2F..%2Fpipelines%2F1',
    ];
    for (const address of crafted) {
      apiCalls.length = 0;
      await page.goto(consoleUrl(address));
      await page
        .getByTestId('not-found')
        .waitFor()
        .catch((error: unknown) => {
          throw new Error(`${address}: ${String(error)}`);
        });
      await page.getByRole('heading', { name: 'Not found', level: 1 }).waitFor();
      await page.waitForTimeout(200);
      expect(apiCalls, address).toEqual([]);
      expect(await page.getByRole('button', { name: 'Stop verifying' }).count()).toBe(0);
    }
    await checkAccessibility('not found');

    // The real page: "Stop verifying" sends exactly DELETE /v4/pipelines/<id>/verification.
    apiCalls.length = 0;
    await page.goto(consoleUrl(`/pipelines/${pipelineId}`));
    await page.getByTestId('verification-state').getByText('1 secret active').waitFor();
    await page.getByRole('button', { name: 'Stop verifying' }).click();
    await page.getByTestId('verification-state').getByText('Off').waitFor();
    expect(apiCalls.filter((call) => call.startsWith('DELETE'))).toEqual([`DELETE /v4/pipelines/${pipelineId}/verification`]);
    expect(apiCalls.filter((call) => call.includes('?')).every((call) => /\?(days=7|limit=\d+)$/.test(call))).toBe(true);
    expect(await stack.admin('GET', `/v4/pipelines/${pipelineId}`)).toMatchObject({ status: 200, body: { pipeline_id: pipelineId, verification: null } });
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('shows bodies that are not JSON (cut ones) as text: HTML in them creates no element and runs nothing', async () => {
    // The receiver lands JSON and forms only, so what reaches the console as text is a body cut
    // short: the 4 KiB a rejected request keeps, or the first MiB of a larger one.
    const hostile = {
      img: '<img src=x onerror=alert(1)>',
      script: '</script><script>alert(2)</script>',
      iframe: '<iframe srcdoc="<script>alert(3)</script>"></iframe>',
      svg: '<svg onload="alert(4)"><a href="javascript:alert(5)">x</a></svg>',
      details: "<details open><summary>not ours</summary><b>bold</b></details>'$(touch pwned)'",
    };
    const rejectedBody = JSON.stringify({ ...hostile, pad: 'x'.repeat(6000) });
    const rejected = await send(rejectedBody, 'application/json', 'WrongToken123');
    const largeBody = JSON.stringify({ ...hostile, pad: 'y'.repeat(1_200_000) });
    const large = await send(largeBody, 'application/json');
    const formBody = new URLSearchParams({ ...hostile, pad: 'z'.repeat(6000) }).toString();
    const rejectedForm = await send(formBody, 'application/x-www-form-urlencoded', 'WrongToken123');
    for (const [id, body, kept] of [
      [rejected, rejectedBody, 4096],
      [large, largeBody, 1024 * 1024],
      [rejectedForm, undefined, 4096],
    ] as const) {
      await stored(id);
      const detail = await openRequest(id);
      await detail.getByText('Only the start of the body is shown.').waitFor();
      const shown = detail.locator('.body-view pre.code');
      await shown.waitFor();
      const text = (await shown.textContent())!;
      if (body !== undefined) expect(text).toBe(body.slice(0, kept));
      // The markup is there as JSON writes it (or, for a form, as it was posted, percent-encoded).
      for (const markup of Object.values(hostile)) {
        const forms = [JSON.stringify(markup).slice(1, -1), new URLSearchParams({ m: markup }).toString().slice(2)];
        expect(forms.some((form) => text.includes(form)), `${markup} in ${text.slice(0, 300)}`).toBe(true);
      }
      expect(await detail.locator('.body-view').locator('img, script, iframe, svg, b, a, details').count()).toBe(0);
      expect(await detail.locator('.body-view .json-tree').count()).toBe(0);
    }
    await checkAccessibility('text body');
    await shot('live-text-body');
    await page.waitForTimeout(500);
    expect(await page.locator('main img, main script, main iframe, main svg').count()).toBe(0);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });

  it(`opens a body of ${DEEP.toLocaleString('en')} nested arrays: the page stays usable, a few levels open, more on demand, the rest as text`, async () => {
    const deep = `${'['.repeat(DEEP)}${']'.repeat(DEEP)}`;
    const id = await send(deep, 'application/json');
    const flat = await send(JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i)), 'application/json');
    await stored(id);
    const detail = await openRequest(id);
    const tree = detail.locator('.json-tree');
    await tree.waitFor();
    // A few levels open by themselves; each further one opens on a click, down to the depth where text takes over.
    const initiallyOpen = await tree.locator('details[open]').count();
    expect(initiallyOpen).toBeGreaterThan(0);
    expect(initiallyOpen).toBeLessThanOrEqual(6);
    // A click opens its level at once, but the level's children render after the toggle event: wait
    // for the next closed level or for the text, whichever the render brings.
    const deepText = tree.locator('.json-deep');
    const closed = tree.locator('details:not([open]) > summary');
    for (let clicks = 0; ; clicks++) {
      await deepText.or(closed).first().waitFor();
      if ((await deepText.count()) > 0) break;
      expect(clicks).toBeLessThan(50);
      await closed.first().click();
    }
    const text = (await tree.locator('.json-deep .json-text').textContent())!;
    expect(text).toBe('['.repeat(20_000));
    await tree.locator('.json-deep').getByText('cut at 20,000 characters').waitFor();
    expect(await tree.locator('details').count()).toBe(40);
    await checkAccessibility('deep JSON');
    await tree.locator('.json-deep').scrollIntoViewIfNeeded();
    await shot('live-deep-json');

    // Still usable: the curl command is there, another request opens, and so does a huge flat one, a page at a time.
    expect((await page.getByTestId('curl').textContent())!.length).toBeGreaterThan(DEEP * 2);
    const list = await openRequest(flat);
    const root = list.locator('.json-tree > details');
    await root.locator('summary').getByText('100,000 items').waitFor();
    expect(await root.locator('.json-children > .json-line').count()).toBe(100);
    await root.getByRole('button', { name: 'Show 100 more (99,900 not shown)' }).click();
    await root.getByRole('button', { name: 'Show 100 more (99,800 not shown)' }).waitFor();
    expect(await root.locator('.json-children > .json-line').count()).toBe(200);
    expect(pageErrors).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
