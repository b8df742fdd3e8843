// Ingest keys and tokens under /v4/tokens: create (the token shown once, stored as its SHA-256),
// list, get, revoke.
import * as v from 'valibot';
import { isoNow, type Clock } from '../domain/clock.ts';
import { UnknownPipelinesError, type ManagementStore, type TokenInfo } from '../ports/management.ts';
import { ApiError, notFound } from './errors.ts';
import { NextCursor, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { reply, routeFor, type Route } from './router.ts';
import { IsoTimestamp, ListQuery, Name, PipelineId } from './schemas.ts';

export interface TokenApiDeps {
  store: Pick<ManagementStore, 'createToken' | 'listTokens' | 'getToken' | 'revokeToken'>;
  clock: Clock;
}

const PipelineScope = v.pipe(
  v.array(PipelineId, 'must be an array of pipeline ids'),
  v.minLength(1, 'must name at least one pipeline (omit it for a token valid on every pipeline)'),
  v.maxLength(100, 'must name at most 100 pipelines'),
  v.transform((ids) => [...new Set(ids)].sort((a, b) => a - b)),
);

export const CreateTokenBody = v.pipe(
  v.strictObject({
    name: Name,
    /** Absent or null: the token is valid on every pipeline. */
    pipelines: v.pipe(v.nullish(PipelineScope), v.description('The pipelines the token may write to; absent or null: every pipeline.')),
  }),
  v.examples([{ name: 'shop', pipelines: [1] }]),
);

export const TokenKeyParams = v.object({
  key: v.pipe(v.string(), v.uuid('the token key must be a UUID'), v.toLowerCase()),
});

const TOKEN_PAGES: ListPaging<string> = { list: 'tokens', key: v.pipe(v.string(), v.uuid()) };

export const TokenSchema = v.pipe(
  v.strictObject({
    key: v.pipe(v.string(), v.uuid(), v.description('The key of the webhook URL (a UUID).')),
    name: v.string(),
    pipelines: v.pipe(v.nullable(v.array(v.number())), v.description('null: valid on every pipeline.')),
    created_at: IsoTimestamp,
    revoked_at: v.pipe(v.nullable(IsoTimestamp), v.description('null: active.')),
  }),
  v.metadata({ ref: 'Token' }),
);

export const CreatedTokenSchema = v.pipe(
  v.strictObject({
    ...TokenSchema.entries,
    token: v.pipe(v.string(), v.regex(/^[0-9A-Za-z]+$/), v.description('The token of the webhook URL: shown in this answer only, stored as its SHA-256.')),
  }),
  v.metadata({ ref: 'CreatedToken' }),
);

export type TokenJson = v.InferOutput<typeof TokenSchema>;
export type CreatedTokenJson = v.InferOutput<typeof CreatedTokenSchema>;

export function tokenJson(info: TokenInfo): TokenJson {
  return {
    key: info.key,
    name: info.name,
    pipelines: info.pipelines ?? null,
    created_at: info.createdAt,
    revoked_at: info.revokedAt ?? null,
  };
}

const route = routeFor<TokenApiDeps>();

export const tokenRoutes: Route<TokenApiDeps>[] = [
  route({
    method: 'POST',
    path: '/v4/tokens',
    operationId: 'createToken',
    summary: 'Create an ingest key and token',
    description: 'The token is in this answer only; only its SHA-256 is stored.',
    tags: ['Tokens'],
    body: CreateTokenBody,
    errors: ['UNKNOWN_PIPELINE'],
    responses: { 201: { description: 'The new key and token.', schema: CreatedTokenSchema } },
    handle: async ({ body, deps }) => {
      try {
        const created = await deps.store.createToken({
          name: body.name,
          pipelines: body.pipelines ?? undefined,
          createdAt: isoNow(deps.clock),
        });
        return reply(201, { ...tokenJson(created), token: created.token });
      } catch (error) {
        if (error instanceof UnknownPipelinesError) throw new ApiError('UNKNOWN_PIPELINE', error.message);
        throw error;
      }
    },
  }),
  route({
    method: 'GET',
    path: '/v4/tokens',
    operationId: 'listTokens',
    summary: 'List ingest tokens',
    description: 'Never their secrets.',
    tags: ['Tokens'],
    query: ListQuery,
    responses: { 200: { description: 'A page of tokens, in key order.', schema: v.strictObject({ tokens: v.array(TokenSchema), next_cursor: NextCursor }) } },
    handle: async ({ query, deps }) => {
      const page = await deps.store.listTokens(pageRequest(TOKEN_PAGES, query));
      return reply(200, { tokens: page.items.map(tokenJson), next_cursor: nextCursor(TOKEN_PAGES, page) });
    },
  }),
  route({
    method: 'GET',
    path: '/v4/tokens/{key}',
    operationId: 'getToken',
    summary: 'Get an ingest token',
    tags: ['Tokens'],
    params: TokenKeyParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The token (never its secret).', schema: TokenSchema } },
    handle: async ({ params, deps }) => {
      const token = await deps.store.getToken(params.key);
      if (token === undefined) throw notFound('token', params.key);
      return reply(200, tokenJson(token));
    },
  }),
  route({
    method: 'DELETE',
    path: '/v4/tokens/{key}',
    operationId: 'revokeToken',
    summary: 'Revoke an ingest token',
    description: 'Idempotent: revoking again keeps the first `revoked_at`.',
    tags: ['Tokens'],
    params: TokenKeyParams,
    errors: ['NOT_FOUND'],
    responses: { 200: { description: 'The revoked token.', schema: TokenSchema } },
    handle: async ({ params, deps }) => {
      const token = await deps.store.revokeToken(params.key, isoNow(deps.clock));
      if (token === undefined) throw notFound('token', params.key);
      return reply(200, tokenJson(token));
    },
  }),
];
