// The `hooklake` command tree. Each group registers itself: inbound (pipelines, tokens, admin,
// query, lake) and outbound (subscriptions, events, syncs).
import { Command } from 'commander';
import { registerAdmin } from './admin.ts';
import type { CliIo } from './context.ts';
import { registerEvents } from './events.ts';
import { registerLake } from './lake.ts';
import { registerPipelines } from './pipelines.ts';
import { registerQuery } from './query.ts';
import { registerSubscriptions } from './subscriptions.ts';
import { registerSyncs } from './syncs.ts';
import { registerTokens } from './tokens.ts';

export function buildProgram(io: CliIo): Command {
  const program = new Command('hooklake')
    .description('Hooklake: webhooks into a Parquet lake. Targets the local stack unless --api is given.')
    .version('0.1.0')
    .option('--json', 'print JSON instead of text')
    .option('--api <url>', 'a deployed management API (default: the local stack in $HOOKLAKE_DATA_DIR/stack.json)')
    .option('--admin-token <credential>', 'admin credential for --api (default: $HOOKLAKE_ADMIN_TOKEN)')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: (text) => io.stderr(text),
    });

  registerPipelines(program, io);
  registerTokens(program, io);
  registerAdmin(program, io);
  registerQuery(program, io);
  registerLake(program, io);
  registerSubscriptions(program, io);
  registerEvents(program, io);
  registerSyncs(program, io);
  return program;
}
