// The Glue call that stores a pipeline's Athena view. Glue has no emulator, so a local HTTP
// server stands in for its endpoint: the real SDK sends its real requests (AWS JSON 1.1,
// X-Amz-Target) there, the server records them and answers as Glue documents it (EntityNotFound
// for an absent table). Also the DynamoDB schema store's conditional writes, on dynalite.
import { createServer, type Server } from 'node:http';
import { TrinoSQL } from 'dt-sql-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSchemas } from '../../functions/api/app.ts';
import { dynamoDbClient } from '../../shared/adapters/clients/dynamodb.ts';
import { glueClient } from '../../shared/adapters/clients/glue.ts';
import { dynamoSchemaStore } from '../../shared/adapters/dynamodb/schema-store.ts';
import { glueViewCatalog } from '../../shared/adapters/glue/view-catalog.ts';
import { emptySchema, mergeSchema, observeSample } from '../../shared/domain/lake/schema.ts';
import { athenaPipelineViewSql, decodePrestoView, VIEW_SQL_GENERATION } from '../../shared/domain/lake/schema-views.ts';
import { eventually, postJson, startTestStack, type TestStack } from '../support/stack.ts';

interface GlueCall {
  target: string;
  body: any;
}

let server: Server;
let glueUrl: string;
const calls: GlueCall[] = [];
const tables = new Set<string>();

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = JSON.parse(text || '{}');
      calls.push({ target, body });
      const answer = (status: number, json: unknown, type?: string) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(type === undefined ? {} : { 'x-amzn-errortype': type }) });
        response.end(JSON.stringify(json));
      };
      const name = body.TableInput?.Name as string | undefined;
      if (target === 'AWSGlue.UpdateTable') {
        if (name === undefined || !tables.has(name)) return answer(400, { __type: 'EntityNotFoundException', Message: 'Table not found' }, 'EntityNotFoundException');
        return answer(200, {});
      }
      if (target === 'AWSGlue.CreateTable') {
        tables.add(name!);
        return answer(200, {});
      }
      return answer(400, { __type: 'InvalidInputException', Message: `unexpected ${target}` }, 'InvalidInputException');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  glueUrl = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const schema = mergeSchema(emptySchema(7), observeSample([{ body: '{"amount":5,"at":"2026-11-20T10:00:00Z","tags":["a"]}', ts: 1, textValues: false }]), { now: '2027-01-01T00:00:00Z' });

describe('Glue view catalog', () => {
  it('creates the view the first time (UpdateTable → EntityNotFound → CreateTable), updates it afterwards, without archiving versions', async () => {
    calls.length = 0;
    const client = glueClient({ region: 'us-east-1', endpoints: { glue: glueUrl } });
    const catalog = glueViewCatalog(client, 'hooklake');
    await catalog.publish(schema);
    await catalog.publish({ ...schema, version: 2 });
    client.destroy();
    expect(calls.map((call) => call.target)).toEqual(['AWSGlue.UpdateTable', 'AWSGlue.CreateTable', 'AWSGlue.UpdateTable']);
    const create = calls[1]!.body;
    expect(create).toMatchObject({
      DatabaseName: 'hooklake',
      TableInput: {
        Name: 'pipeline_7',
        TableType: 'VIRTUAL_VIEW',
        Parameters: { presto_view: 'true', comment: 'Presto View' },
        ViewExpandedText: '/* Presto View */',
        StorageDescriptor: { Columns: expect.arrayContaining([{ Name: 'amount', Type: 'bigint' }, { Name: 'at_', Type: 'timestamp' }, { Name: 'tags', Type: 'string' }]) },
      },
    });
    expect(calls[0]!.body.SkipArchive).toBe(true);
    const definition = decodePrestoView(create.TableInput.ViewOriginalText)!;
    expect(definition.originalSql).toBe(athenaPipelineViewSql(schema, 'hooklake'));
    expect(new TrinoSQL().validate(definition.originalSql)).toEqual([]);
    expect(calls[2]!.body.TableInput.Description).toContain('schema version 2');
  });
});

describe('the api composition with a Glue database', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ schemaRefreshIntervalMs: 0 });
  }, 60_000);
  afterAll(async () => stack?.dispose());

  it('a refresh that adds a column publishes the view once; the schema store writes only over the revision it read', async () => {
    calls.length = 0;
    const pipeline = await stack.createPipeline('glue');
    const { key, token } = await stack.createToken();
    expect((await postJson(stack.webhookUrl(pipeline, key, token), '{"amount": 12, "status": "paid"}')).status).toBe(200);
    const config = { ...stack.apiConfig, glueDatabase: 'hooklake', aws: { ...stack.apiConfig.aws, endpoints: { ...stack.apiConfig.aws.endpoints, glue: glueUrl } } };
    const schemas = createSchemas(config);
    const refreshed = await eventually(async () => {
      const result = await schemas.refresh(pipeline);
      return result.columns.length > 0 ? result : undefined;
    }, 20_000, 'the webhook to land and be sampled');
    expect(refreshed.columns.map((column) => column.name)).toEqual(['amount', 'status']);
    await schemas.refresh(pipeline);
    const published = calls.filter((call) => call.body.TableInput?.Name === `pipeline_${pipeline}`);
    expect(published.map((call) => call.target)).toEqual(['AWSGlue.UpdateTable', 'AWSGlue.CreateTable']);

    const dynamodb = dynamoDbClient(stack.apiConfig.aws);
    const store = dynamoSchemaStore(dynamodb, stack.apiConfig.tableName);
    const stored = (await store.get(pipeline))!;
    expect(stored).toMatchObject({ revision: 1, published: { version: 1, generation: VIEW_SQL_GENERATION }, schema: { version: 1, pipelineId: pipeline } });
    expect(await store.put(stored.schema, stored.revision, stored.published)).toBe(true);
    expect(await store.put(stored.schema, stored.revision, stored.published)).toBe(false); // a second writer over the same revision
    expect((await store.get(pipeline))!.published).toEqual(stored.published);
    const none = { version: 0, generation: 0 };
    expect(await store.put({ ...emptySchema(999_999) }, 0, none)).toBe(true);
    expect(await store.put({ ...emptySchema(999_999) }, 0, none)).toBe(false);
    const listed = await store.list();
    expect(listed).toEqual(expect.arrayContaining([{ pipelineId: pipeline, version: 1, refreshedAt: stored.schema.refreshedAt }, { pipelineId: 999_999, version: 0, refreshedAt: null }]));
    dynamodb.destroy();
  });
});
