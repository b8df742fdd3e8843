// hooklake admin create|list|revoke. `create` bootstraps an admin credential by writing the hashed
// ADMIN item straight to DynamoDB with the caller's AWS credentials (a fresh deployment has no
// admin to call the API with); `list` and `revoke` go through the management API.
import { InvalidArgumentError, type Command } from 'commander';
import { dynamoManagementStore } from '../shared/adapters/dynamodb/management-store.ts';
import { apiClient } from './api-client.ts';
import { nonEmpty } from './args.ts';
import { CliError, emit, globals, type CliIo } from './context.ts';
import { keyValues, table } from './output.ts';
import { listPages, moreHint, withListOptions, type ListOptions } from './pages.ts';
import { readStackFile, resolveApiTarget } from './target.ts';
import type { AdminJson } from '../shared/api/admins.ts';
import { dynamoDbClient } from '../shared/adapters/clients/dynamodb.ts';

function adminId(value: string): string {
  const id = value.toLowerCase();
  if (!/^[0-9a-f]{16}$/.test(id)) throw new InvalidArgumentError('expected an admin id (16 hex characters, as `admin list` shows).');
  return id;
}

const adminStatus = (admin: AdminJson) => (admin.revoked_at === null ? 'active' : 'revoked');

interface AdminCreateOptions {
  name: string;
  table?: string;
  region?: string;
  endpoint?: string;
}

interface DynamoTarget {
  tableName: string;
  region: string;
  endpoint: string | undefined;
}

/** --table (or HOOKLAKE_TABLE_NAME) means a deployment; without it, the local stack's table. */
function resolveTable(io: CliIo, options: AdminCreateOptions): DynamoTarget {
  const region = options.region ?? (io.env.AWS_REGION || io.env.AWS_DEFAULT_REGION || undefined);
  const table = options.table ?? (io.env.HOOKLAKE_TABLE_NAME || undefined);
  if (table !== undefined) {
    return {
      tableName: table,
      region: region ?? 'us-east-1',
      endpoint: options.endpoint ?? (io.env.HOOKLAKE_DYNAMODB_ENDPOINT || undefined),
    };
  }
  const stack = readStackFile(io);
  if (stack === undefined) {
    throw new CliError('no table given and no local stack found: pass --table TABLE (and --region) for a deployment');
  }
  return {
    tableName: stack.resources.tableName,
    region: options.region ?? stack.region,
    endpoint: options.endpoint ?? stack.endpoints.dynamodb,
  };
}

export function registerAdmin(program: Command, io: CliIo): void {
  const admin = program.command('admin').description('admin credentials for the management API');

  admin
    .command('create')
    .description('create an admin credential by writing to the DynamoDB table directly (shown once)')
    .requiredOption('--name <name>', 'who or what the credential is for', nonEmpty)
    .option('--table <table>', 'the stack table (default: $HOOKLAKE_TABLE_NAME, else the local stack)')
    .option('--region <region>', 'AWS region (default: $AWS_REGION)')
    .option('--endpoint <url>', 'DynamoDB endpoint (emulators; default: AWS)')
    .action(async (options: AdminCreateOptions, command: Command) => {
      const target = resolveTable(io, options);
      const client = dynamoDbClient({ region: target.region, endpoints: { dynamodb: target.endpoint } });
      try {
        const created = await dynamoManagementStore(client, target.tableName)
          .createAdmin({ name: options.name.trim(), createdAt: new Date().toISOString() })
          .catch((error: unknown) => {
            throw new CliError(`cannot write to table ${target.tableName} (${target.region}): ${awsReason(error)}`, {
              cause: error,
            });
          });
        emit(
          io,
          command,
          { id: created.id, name: created.name, credential: created.credential, created_at: created.createdAt },
          () =>
            [
              keyValues([
                ['id', created.id],
                ['name', created.name],
                ['created_at', created.createdAt],
                ['credential', created.credential],
              ]),
              '',
              'The credential is shown only once: store it now. Use it with',
              '  hooklake --api URL --admin-token CREDENTIAL ...   (or HOOKLAKE_ADMIN_TOKEN=CREDENTIAL)',
            ].join('\n'),
        );
      } finally {
        client.destroy();
      }
    });

  const client = (command: Command) => apiClient(resolveApiTarget(io, globals(command)));

  withListOptions(admin.command('list').description('list admin credentials (never the credentials themselves), in id order')).action(
    async (options: ListOptions, command: Command) => {
      const listed = await listPages<AdminJson>(client(command), '/v4/admins', 'admins', options);
      const admins = listed.items;
      emit(
        io,
        command,
        admins,
        () =>
          table(
            ['id', 'name', 'status', 'created_at', 'revoked_at'],
            admins.map((a) => [a.id, a.name, adminStatus(a), a.created_at, a.revoked_at ?? '']),
          ) + moreHint(listed),
      );
    },
  );

  admin
    .command('revoke')
    .description('revoke an admin credential (idempotent; not the one this command runs with)')
    .argument('<id>', 'admin id (16 hex characters)', adminId)
    .action(async (id: string, _options: unknown, command: Command) => {
      const revoked = await client(command).request<AdminJson>('DELETE', `/v4/admins/${id}`);
      emit(io, command, revoked, () => `Revoked admin credential ${revoked.id} (${revoked.name}) at ${revoked.revoked_at ?? '?'}`);
    });
}

function awsReason(error: unknown): string {
  const { name, message } = error as { name?: string; message?: string };
  if (name === 'ResourceNotFoundException') return 'the table does not exist';
  if (name === 'CredentialsProviderError') return 'no AWS credentials found (configure them or set AWS_PROFILE)';
  const code = (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;
  return [name, message ?? code].filter(Boolean).join(': ') || String(error);
}
