// hooklake tokens create|list|get|revoke
import { InvalidArgumentError, type Command } from 'commander';
import { apiClient } from './api-client.ts';
import { nonEmpty, positiveIntList } from './args.ts';
import { emit, globals, type CliIo } from './context.ts';
import { keyValues, table } from './output.ts';
import { listPages, moreHint, withListOptions, type ListOptions } from './pages.ts';
import { resolveApiTarget } from './target.ts';
import type { CreatedTokenJson, TokenJson } from '../shared/api/tokens.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tokenKey(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError('expected a token key (a UUID).');
  return value.toLowerCase();
}

const scope = (token: TokenJson) => (token.pipelines === null ? 'any' : token.pipelines.join(','));
const status = (token: TokenJson) => (token.revoked_at === null ? 'active' : 'revoked');

function describe(token: TokenJson, extra: [string, string][] = []): string {
  return keyValues([
    ['key', token.key],
    ['name', token.name],
    ['pipelines', scope(token)],
    ['status', status(token)],
    ['created_at', token.created_at],
    ...(token.revoked_at === null ? [] : [['revoked_at', token.revoked_at] as const]),
    ...extra,
  ]);
}

export function registerTokens(program: Command, io: CliIo): void {
  const tokens = program.command('tokens').description('create, list and revoke ingest tokens');
  const client = (command: Command) => apiClient(resolveApiTarget(io, globals(command)));

  tokens
    .command('create')
    .description('create an ingest key and token (the token is shown once)')
    .requiredOption('--name <name>', 'token name', nonEmpty)
    .option('--pipelines <ids>', 'comma-separated pipeline ids it may write to (default: any pipeline)', positiveIntList)
    .action(async (options: { name: string; pipelines?: number[] }, command: Command) => {
      const api = client(command);
      const created = await api.request<CreatedTokenJson>('POST', '/v4/tokens', {
        name: options.name,
        ...(options.pipelines === undefined ? {} : { pipelines: options.pipelines }),
      });
      emit(io, command, created, () => {
        const pipeline = created.pipelines?.[0] ?? '<pipeline_id>';
        return [
          describe(created, [['token', created.token]]),
          '',
          'The token is shown only once: store it now. Webhook URL:',
          `  ${api.target.inboundUrl}/?pipeline_id=${pipeline}&key=${created.key}&token=${created.token}`,
        ].join('\n');
      });
    });

  withListOptions(tokens.command('list').description('list ingest tokens (never their secrets), in key order')).action(
    async (options: ListOptions, command: Command) => {
      const listed = await listPages<TokenJson>(client(command), '/v4/tokens', 'tokens', options);
      const list = listed.items;
      emit(io, command, list, () =>
        list.length === 0
          ? 'No tokens yet: hooklake tokens create --name NAME'
          : table(
              ['key', 'name', 'pipelines', 'status', 'created_at'],
              list.map((t) => [t.key, t.name, scope(t), status(t), t.created_at]),
            ) + moreHint(listed),
      );
    },
  );

  tokens
    .command('get')
    .description('show one ingest token')
    .argument('<key>', 'token key (UUID)', tokenKey)
    .action(async (key: string, _options: unknown, command: Command) => {
      const token = await client(command).request<TokenJson>('GET', `/v4/tokens/${key}`);
      emit(io, command, token, () => describe(token));
    });

  tokens
    .command('revoke')
    .description('revoke an ingest token (idempotent)')
    .argument('<key>', 'token key (UUID)', tokenKey)
    .action(async (key: string, _options: unknown, command: Command) => {
      const token = await client(command).request<TokenJson>('DELETE', `/v4/tokens/${key}`);
      emit(io, command, token, () => `Revoked token ${token.key} (${token.name}) at ${token.revoked_at ?? '?'}`);
    });
}
