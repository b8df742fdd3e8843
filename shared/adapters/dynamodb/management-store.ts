// DynamoDB implementation of the management store (docs/design.md, single table).
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient, type UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { newAdminCredential, newIngestKey, newIngestToken, sha256Hex } from '../../domain/credentials.ts';
import type { PipelineRecord, TokenRecord } from '../../domain/ingest/records.ts';
import {
  ADMIN_PK,
  PIPELINE_PK,
  TOKEN_PK,
  adminKey,
  adminToItem,
  itemToAdmin,
  itemToPipeline,
  itemToRejectionCounts,
  itemToToken,
  LAST_DAY_SK,
  pipelineCounterKey,
  pipelineKey,
  pipelineToItem,
  rejectionCountsPk,
  tokenKey,
  tokenToItem,
  verificationAttributes,
  type Item,
  type Key,
} from './table-items.ts';
import { conditional } from './attributes.ts';
import { batchGetItems, queryAllItems, queryPageItems } from './reads.ts';
import { pageOf } from '../../ports/page.ts';
import { UnknownPipelinesError, type ManagementStore, type TokenInfo } from '../../ports/management.ts';
import type { AdminRecord } from '../../domain/credentials.ts';

/** How many times a pipeline id is drawn again when the drawn one is already taken. */
const ID_ATTEMPTS = 5;

function tokenInfo(record: TokenRecord): TokenInfo {
  const { tokenSha256: _hash, ...info } = record;
  return info;
}

export function dynamoManagementStore(client: DynamoDBClient, tableName: string): ManagementStore {
  /** A collection's items (pk) from the key `start` on (exclusive), one more than `limit`. */
  const queryPage = (pk: string, limit: number, start: Key | undefined) =>
    queryPageItems(
      client,
      { TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } } },
      limit,
      start,
    );

  async function getItem(key: Key): Promise<Item | undefined> {
    const { Item: item } = await client.send(
      new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }),
    );
    return item;
  }

  const putNew = (item: Item) =>
    conditional(() => client.send(new PutItemCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' })));

  /** An UpdateItem of an existing item (`ReturnValues: ALL_NEW`): its new attributes, undefined when it does not exist. */
  async function updateExisting(update: Omit<UpdateItemCommandInput, 'TableName' | 'ConditionExpression' | 'ReturnValues'>): Promise<Item | undefined> {
    let attributes: Item | undefined;
    const updated = await conditional(async () => {
      ({ Attributes: attributes } = await client.send(
        new UpdateItemCommand({ ...update, TableName: tableName, ConditionExpression: 'attribute_exists(pk)', ReturnValues: 'ALL_NEW' }),
      ));
    });
    return updated ? attributes : undefined;
  }

  /** An UpdateItem of an existing pipeline; undefined when it does not exist. */
  async function updatePipeline(id: number, expression: string, values?: Record<string, AttributeValue>): Promise<PipelineRecord | undefined> {
    const attributes = await updateExisting({
      Key: pipelineKey(id),
      UpdateExpression: expression,
      ...(values === undefined ? {} : { ExpressionAttributeValues: values }),
    });
    return attributes === undefined ? undefined : itemToPipeline(attributes);
  }

  return {
    async createPipeline({ name, createdAt }) {
      for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
        const { Attributes } = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: pipelineCounterKey(),
            UpdateExpression: 'ADD #value :one',
            ExpressionAttributeNames: { '#value': 'value' },
            ExpressionAttributeValues: { ':one': { N: '1' } },
            ReturnValues: 'UPDATED_NEW',
          }),
        );
        const id = Number(Attributes?.value?.N);
        if (!Number.isSafeInteger(id) || id < 1) throw new Error(`pipeline counter returned ${String(id)}`);
        const record: PipelineRecord = { id, name, createdAt };
        // Taken only if the counter was reset or items were written by hand: draw again.
        if (await putNew(pipelineToItem(record))) return record;
      }
      throw new Error(`could not allocate a free pipeline id in ${ID_ATTEMPTS} attempts`);
    },

    async listPipelines({ limit, after }) {
      const items = await queryPage(PIPELINE_PK, limit, after === undefined ? undefined : pipelineKey(after));
      return pageOf(items.map(itemToPipeline), limit, (pipeline) => pipeline.id);
    },

    async getPipeline(id) {
      const item = await getItem(pipelineKey(id));
      return item === undefined ? undefined : itemToPipeline(item);
    },

    async deletePipeline(id) {
      const { Attributes } = await client.send(
        new DeleteItemCommand({ TableName: tableName, Key: pipelineKey(id), ReturnValues: 'ALL_OLD' }),
      );
      return Attributes === undefined ? undefined : itemToPipeline(Attributes);
    },

    async setVerification(id, verification) {
      const attributes = verificationAttributes(verification);
      return updatePipeline(id, 'SET verification = :settings, verificationSecrets = :secrets', {
        ':settings': attributes.verification,
        ':secrets': attributes.verificationSecrets,
      });
    },

    async clearVerification(id) {
      return updatePipeline(id, 'REMOVE verification, verificationSecrets');
    },

    async createToken({ name, pipelines, createdAt }) {
      if (pipelines !== undefined) {
        const wanted = [...new Set(pipelines)];
        const found = new Set((await batchGetItems(client, tableName, wanted.map(pipelineKey))).map((item) => itemToPipeline(item).id));
        const missing = wanted.filter((id) => !found.has(id)).sort((a, b) => a - b);
        if (missing.length > 0) throw new UnknownPipelinesError(missing);
      }
      for (;;) {
        const token = newIngestToken();
        const record: TokenRecord = {
          key: newIngestKey(),
          name,
          tokenSha256: sha256Hex(token),
          pipelines,
          createdAt,
        };
        // A UUID v4 collision is practically impossible; the condition makes it harmless anyway.
        if (await putNew(tokenToItem(record))) return { ...tokenInfo(record), token };
      }
    },

    async listTokens({ limit, after }) {
      const items = await queryPage(TOKEN_PK, limit, after === undefined ? undefined : tokenKey(after));
      return pageOf(items.map((item) => tokenInfo(itemToToken(item))), limit, (token) => token.key);
    },

    async getToken(key) {
      const item = await getItem(tokenKey(key));
      return item === undefined ? undefined : tokenInfo(itemToToken(item));
    },

    async revokeToken(key, revokedAt) {
      const attributes = await updateExisting({
        Key: tokenKey(key),
        // Idempotent: the first revocation time stays.
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        ExpressionAttributeValues: { ':now': { S: revokedAt } },
      });
      return attributes === undefined ? undefined : tokenInfo(itemToToken(attributes));
    },

    async createAdmin({ name, createdAt }) {
      for (;;) {
        const { id, credential, sha256 } = newAdminCredential();
        const record: AdminRecord = { id, name, tokenSha256: sha256, createdAt };
        if (await putNew(adminToItem(record))) return { ...record, credential };
      }
    },

    async listAdmins({ limit, after }) {
      const items = await queryPage(ADMIN_PK, limit, after === undefined ? undefined : adminKey(after));
      return pageOf(items.map(itemToAdmin), limit, (admin) => admin.id);
    },

    async findAdmin(id) {
      const item = await getItem(adminKey(id));
      return item === undefined ? undefined : itemToAdmin(item);
    },

    async revokeAdmin(id, revokedAt) {
      const attributes = await updateExisting({
        Key: adminKey(id),
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        ExpressionAttributeValues: { ':now': { S: revokedAt } },
      });
      return attributes === undefined ? undefined : itemToAdmin(attributes);
    },

    async rejectionCounts(pipelineId, sinceDt) {
      // Days only (the partition also holds the processor's summary windows, which sort after
      // them); expired counters are left out (dynalite has no TTL).
      const items = await queryAllItems(client, {
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :since AND :last',
        ExpressionAttributeValues: {
          ':pk': { S: rejectionCountsPk(pipelineId) },
          ':since': { S: sinceDt },
          ':last': { S: LAST_DAY_SK },
        },
        ScanIndexForward: false,
      });
      const nowSeconds = Date.now() / 1000;
      return items.filter((item) => item.expiresAt?.N === undefined || Number(item.expiresAt.N) > nowSeconds).map(itemToRejectionCounts);
    },
  };
}
