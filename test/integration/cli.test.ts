// The CLI in-process (cli/main.ts) against the api handler behind the local API Gateway stand-in.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHandler } from '../../functions/api/app.ts';
import { dynamoManagementStore } from '../../shared/adapters/dynamodb/management-store.ts';
import { matchesSha256 } from '../../shared/domain/credentials.ts';
import { startEmulators, type Emulators } from '../../infra/local/emulators.ts';
import { provisionResources, type LocalResources } from '../../infra/local/resources.ts';
import { runCli, serveApiHandler, type CliRun, type ServedApi } from '../support/cli-harness.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';

let emulators: Emulators;
let resources: LocalResources;
let server: ServedApi;
let apiUrl: string;
let credential: string;
let dataDir: string;

async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return runCli(args, { cwd: dataDir, env });
}

const remote = () => ['--api', apiUrl, '--admin-token', credential];

beforeAll(async () => {
  emulators = await startEmulators();
  resources = await provisionResources(emulators.endpoints, { prefix: 'cli-test' });
  const aws = { region: emulators.endpoints.region, endpoints: { ...emulators.endpoints } };
  server = await serveApiHandler(
    createApiHandler({ aws, tableName: resources.tableName, lakeBucket: resources.lakeBucket, allowPrivateTargets: true }),
  );
  apiUrl = server.url;
  const store = dynamoManagementStore(dynamoDbClient(aws), resources.tableName);
  credential = (await store.createAdmin({ name: 'cli', createdAt: new Date().toISOString() })).credential;
  dataDir = mkdtempSync(join(tmpdir(), 'hooklake-cli-'));
});

afterAll(async () => {
  await server?.close();
  await emulators?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('hooklake against --api', () => {
  it('pipelines create|list|get|delete --json', async () => {
    const created = await cli(['pipelines', 'create', '--name', 'orders', '--json', ...remote()]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.json).toMatchObject({ pipeline_id: expect.any(Number), name: 'orders', created_at: expect.any(String) });
    const id = created.json.pipeline_id as number;

    const list = await cli(['--json', ...remote(), 'pipelines', 'list']);
    expect(list.code).toBe(0);
    expect(list.json).toContainEqual(created.json);

    const got = await cli(['pipelines', 'get', String(id), '--json', ...remote()]);
    expect(got.json).toMatchObject({ ...created.json, rejected: { total: 0, days: [] } });

    const deleted = await cli(['pipelines', 'delete', String(id), '--json', ...remote()]);
    expect(deleted.json).toMatchObject({ pipeline_id: id, deleted: true });

    const missing = await cli(['pipelines', 'get', String(id), '--json', ...remote()]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toBe(`error: pipeline ${id} does not exist (NOT_FOUND, HTTP 404)\n`);
  });

  it('list commands page with --limit and follow next_cursor with --all', async () => {
    for (const name of ['page-a', 'page-b', 'page-c']) expect((await cli(['pipelines', 'create', '--name', name, ...remote()])).code).toBe(0);
    const everything = await cli(['pipelines', 'list', '--json', '--limit', '1000', ...remote()]);
    expect(everything.json.length).toBeGreaterThanOrEqual(3);
    const page = await cli(['pipelines', 'list', '--json', '--limit', '2', ...remote()]);
    expect(page.json).toEqual(everything.json.slice(0, 2));
    const human = await cli(['pipelines', 'list', '--limit', '2', ...remote()]);
    expect(human.stdout).toMatch(/There is more: run again with --all/);
    const followed = await cli(['pipelines', 'list', '--json', '--limit', '2', '--all', ...remote()]);
    expect(followed.json).toEqual(everything.json);
    for (const command of [['tokens', 'list'], ['admin', 'list'], ['subscriptions', 'list'], ['events']]) {
      const run = await cli([...command, '--json', '--limit', '1', '--all', ...remote()]);
      expect({ command, code: run.code, stderr: run.stderr }).toEqual({ command, code: 0, stderr: '' });
      expect(Array.isArray(run.json)).toBe(true);
    }
    expect((await cli(['pipelines', 'list', '--limit', '0', ...remote()])).code).toBe(2);
    expect((await cli(['pipelines', 'list', '--limit', '5000', ...remote()])).stderr).toMatch(/INVALID_REQUEST/);
  });

  it('tokens create|list|get|revoke --json', async () => {
    const pipeline = (await cli(['pipelines', 'create', '--name', 'p', '--json', ...remote()])).json.pipeline_id as number;
    const created = await cli(['tokens', 'create', '--name', 'shop', '--pipelines', String(pipeline), '--json', ...remote()]);
    expect(created.code).toBe(0);
    expect(created.json).toMatchObject({ key: expect.any(String), token: expect.any(String), pipelines: [pipeline], revoked_at: null });
    const { key, token } = created.json as { key: string; token: string };

    const list = await cli(['tokens', 'list', '--json', ...remote()]);
    expect(list.json.map((t: { key: string }) => t.key)).toContain(key);
    expect(list.stdout).not.toContain(token);

    const got = await cli(['tokens', 'get', key, '--json', ...remote()]);
    expect(got.json).toMatchObject({ key, name: 'shop', revoked_at: null });

    const revoked = await cli(['tokens', 'revoke', key, '--json', ...remote()]);
    expect(revoked).toMatchObject({ code: 0, json: { key, revoked_at: expect.any(String) } });
    const again = await cli(['tokens', 'revoke', key, '--json', ...remote()]);
    expect(again.json.revoked_at).toBe(revoked.json.revoked_at);
  });

  it('prints concise human output without --json', async () => {
    const created = await cli(['pipelines', 'create', '--name', 'human', ...remote()]);
    expect(created.stdout).toMatch(/^Created pipeline \d+ \(human\)\n$/);
    const list = await cli(['pipelines', 'list', ...remote()]);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+CREATED_AT$/);
    const token = await cli(['tokens', 'create', '--name', 'h', ...remote()]);
    expect(token.stdout).toContain('shown only once');
    expect(token.stdout).toContain(`${apiUrl}/?pipeline_id=<pipeline_id>&key=`);
  });

  it('exits 1 with one line for API errors', async () => {
    const unknown = await cli(['tokens', 'create', '--name', 't', '--pipelines', '99999', ...remote()]);
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toBe('error: unknown pipeline: 99999 (UNKNOWN_PIPELINE, HTTP 409)\n');

    const unauthorized = await cli(['pipelines', 'list', '--api', apiUrl, '--admin-token', 'hla_0000000000000000_' + 'a'.repeat(40)]);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toMatch(/^error: .*\(UNAUTHORIZED, HTTP 401\)\n$/);

    const noToken = await cli(['pipelines', 'list', '--api', apiUrl], { HOOKLAKE_ADMIN_TOKEN: undefined });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('--admin-token');

    const envToken = await cli(['pipelines', 'list', '--json', '--api', apiUrl], { HOOKLAKE_ADMIN_TOKEN: credential });
    expect(envToken.code).toBe(0);

    const unreachable = await cli(['pipelines', 'list', '--api', 'http://127.0.0.1:9', '--admin-token', credential]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses --api over plain http to anything but loopback, in one line, before sending the credential', async () => {
    for (const api of ['http://hooks.example.com', 'http://10.0.0.5:3000', 'http://[::ffff:127.0.0.1]:3000', 'http://0.0.0.0:3000']) {
      const run = await cli(['pipelines', 'list', '--api', api, '--admin-token', credential]);
      expect({ api, code: run.code }).toEqual({ api, code: 1 });
      expect(run.stderr).toMatch(/^error: --api .* would send the admin credential unencrypted: use https:\/\/ .*\n$/);
    }
    // Loopback over http, and any https URL, pass the check (these fail later: nothing listens there).
    for (const api of ['http://127.0.0.2:9', 'http://localhost:9', 'http://[::1]:9', 'https://hooks.example.invalid']) {
      const run = await cli(['pipelines', 'list', '--api', api, '--admin-token', credential]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: cannot reach /);
    }
  });

  it('admin list shows credentials without secrets; admin revoke revokes another one, never its own', async () => {
    const store = dynamoManagementStore(dynamoDbClient({ region: emulators.endpoints.region, endpoints: { ...emulators.endpoints } }), resources.tableName);
    const other = await store.createAdmin({ name: 'to-revoke', createdAt: new Date().toISOString() });
    const list = await cli(['admin', 'list', '--json', ...remote()]);
    expect(list.code).toBe(0);
    expect(list.json).toContainEqual({ id: other.id, name: 'to-revoke', created_at: other.createdAt, revoked_at: null });
    expect(list.stdout).not.toContain(other.credential);
    expect(list.stdout).not.toContain(other.tokenSha256);
    const human = await cli(['admin', 'list', ...remote()]);
    expect(human.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATUS\s+CREATED_AT\s+REVOKED_AT$/);

    const revoked = await cli(['admin', 'revoke', other.id, ...remote()]);
    expect(revoked).toMatchObject({ code: 0, stderr: '' });
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked admin credential ${other.id} \\(to-revoke\\) at `));
    expect((await cli(['pipelines', 'list', '--api', apiUrl, '--admin-token', other.credential])).stderr).toContain('UNAUTHORIZED');

    const own = /^hla_([0-9a-f]{16})_/.exec(credential)![1]!;
    const refused = await cli(['admin', 'revoke', own, ...remote()]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: .*\(CONFLICT, HTTP 409\)\n$/);
    expect((await cli(['admin', 'revoke', 'not-hex', ...remote()])).code).toBe(2);
  });

  it('exits 2 for usage errors', async () => {
    for (const args of [
      ['pipelines', 'create'],
      ['pipelines', 'get', 'abc'],
      ['pipelines', 'frobnicate'],
      ['tokens', 'revoke', 'not-a-uuid'],
      ['tokens', 'create', '--name', 'x', '--pipelines', '1,b'],
      ['nope'],
      ['pipelines', 'list', '--bogus'],
    ]) {
      const run = await cli([...args, ...remote()]);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(/error|Usage/);
    }
    expect((await cli(['--help'])).code).toBe(0);
    expect((await cli(['pipelines', '--help'])).code).toBe(0);
  });
});

describe('hooklake against the local stack (stack.json)', () => {
  it('finds the API, the table and the lake through $HOOKLAKE_DATA_DIR/stack.json', async () => {
    const missing = await cli(['pipelines', 'list']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no local stack found');

    writeFileSync(
      join(dataDir, 'stack.json'),
      JSON.stringify({
        apiUrl,
        adminToken: credential,
        region: emulators.endpoints.region,
        endpoints: { sqs: emulators.endpoints.sqs, s3: emulators.endpoints.s3, dynamodb: emulators.endpoints.dynamodb },
        resources,
        allowPrivateTargets: true,
      }),
    );
    const created = await cli(['pipelines', 'create', '--name', 'local', '--json']);
    expect(created).toMatchObject({ code: 0, json: { name: 'local' } });

    const admin = await cli(['admin', 'create', '--name', 'ops', '--json']);
    expect(admin.code).toBe(0);
    expect(admin.json).toMatchObject({ id: expect.stringMatching(/^[0-9a-f]{16}$/), name: 'ops', credential: expect.stringMatching(/^hla_/) });
    // The new credential works against the API.
    const withNew = await cli(['pipelines', 'list', '--json', '--api', apiUrl, '--admin-token', admin.json.credential]);
    expect(withNew.code).toBe(0);

    const empty = await cli(['query', 'select count(*) as n from webhooks', '--json']);
    expect(empty).toMatchObject({ code: 0, json: [{ n: 0 }] });
    const human = await cli(['query', 'select 1 as one, \'a\' as letter']);
    expect(human.stdout).toBe('one  letter\n  1  a\n(1 row)\n');
    const bad = await cli(['query', 'select * from nowhere']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('admin create writes a hashed ADMIN item to an explicit table', async () => {
    const run = await cli(
      ['admin', 'create', '--name', 'boot', '--table', resources.tableName, '--endpoint', emulators.endpoints.dynamodb, '--json'],
      { HOOKLAKE_DATA_DIR: join(dataDir, 'elsewhere') },
    );
    expect(run.code).toBe(0);
    const aws = { region: emulators.endpoints.region, endpoints: { ...emulators.endpoints } };
    const stored = await dynamoManagementStore(dynamoDbClient(aws), resources.tableName).findAdmin(run.json.id);
    expect(stored?.name).toBe('boot');
    expect(stored?.tokenSha256).not.toBe(run.json.credential);
    expect(matchesSha256(run.json.credential, stored!.tokenSha256)).toBe(true);

    const noTable = await cli(['admin', 'create', '--name', 'x'], { HOOKLAKE_DATA_DIR: join(dataDir, 'elsewhere') });
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toContain('--table');
    const wrongTable = await cli(['admin', 'create', '--name', 'x', '--table', 'missing', '--endpoint', emulators.endpoints.dynamodb]);
    expect(wrongTable.code).toBe(1);
    expect(wrongTable.stderr).toBe('error: cannot write to table missing (us-east-1): the table does not exist\n');
  });
});
