// Admin credentials under /v4/admins: list (never a credential or its hash) and revoke (never the
// one making the call). New ones are made by `hooklake admin create` (cli/admin.ts) over the store.
import * as v from 'valibot';
import { isoNow, type Clock } from '../domain/clock.ts';
import type { AdminRecord } from '../domain/credentials.ts';
import type { ManagementStore } from '../ports/management.ts';
import { callerAdminId } from './auth.ts';
import { ApiError, notFound } from './errors.ts';
import { NextCursor, nextCursor, pageRequest, type ListPaging } from './pagination.ts';
import { reply, routeFor, type Route } from './router.ts';
import { IsoTimestamp, ListQuery } from './schemas.ts';

export interface AdminApiDeps {
  store: Pick<ManagementStore, 'listAdmins' | 'revokeAdmin'>;
  clock: Clock;
}

/** The id inside `hla_<id>_<secret>`: 16 hex characters. */
export const AdminIdParams = v.object({
  id: v.pipe(v.string(), v.toLowerCase(), v.regex(/^[0-9a-fA-F]{16}$/, 'the admin id must be 16 hex characters (the part after hla_)')),
});

const ADMIN_PAGES: ListPaging<string> = { list: 'admins', key: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/)) };

/** An admin credential as listed: never the credential or its hash. */
export const AdminSchema = v.pipe(
  v.strictObject({
    id: v.pipe(v.string(), v.regex(/^[0-9a-f]{16}$/), v.description('The id inside `hla_<id>_<secret>`.')),
    name: v.string(),
    created_at: IsoTimestamp,
    revoked_at: v.pipe(v.nullable(IsoTimestamp), v.description('null: active.')),
  }),
  v.metadata({ ref: 'Admin' }),
);

export type AdminJson = v.InferOutput<typeof AdminSchema>;

export function adminJson(record: AdminRecord): AdminJson {
  return { id: record.id, name: record.name, created_at: record.createdAt, revoked_at: record.revokedAt ?? null };
}

const route = routeFor<AdminApiDeps>();

export const adminRoutes: Route<AdminApiDeps>[] = [
  route({
    method: 'GET',
    path: '/v4/admins',
    operationId: 'listAdmins',
    summary: 'List admin credentials',
    description: 'Never a credential or its hash.',
    tags: ['Admins'],
    query: ListQuery,
    responses: {
      200: {
        description: 'A page of admin credentials, revoked ones included, in id order.',
        schema: v.strictObject({ admins: v.array(AdminSchema), next_cursor: NextCursor }),
      },
    },
    handle: async ({ query, deps }) => {
      const page = await deps.store.listAdmins(pageRequest(ADMIN_PAGES, query));
      return reply(200, { admins: page.items.map(adminJson), next_cursor: nextCursor(ADMIN_PAGES, page) });
    },
  }),
  route({
    method: 'DELETE',
    path: '/v4/admins/{id}',
    operationId: 'revokeAdmin',
    summary: 'Revoke an admin credential',
    description: 'Idempotent. The revoked credential gets 401 at once. The credential making the call cannot be revoked with itself (409 `CONFLICT`), so one always remains.',
    tags: ['Admins'],
    params: AdminIdParams,
    errors: ['NOT_FOUND', 'CONFLICT'],
    responses: { 200: { description: 'The revoked admin credential.', schema: AdminSchema } },
    handle: async ({ params, request, deps }) => {
      // The caller's own credential stays: so there is always one left to call the API with.
      if (params.id === callerAdminId(request)) {
        throw new ApiError('CONFLICT', 'this request is made with that admin credential: revoke it with another one');
      }
      const admin = await deps.store.revokeAdmin(params.id, isoNow(deps.clock));
      if (admin === undefined) throw notFound('admin', params.id);
      return reply(200, adminJson(admin));
    },
  }),
];
