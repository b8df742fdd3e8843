// Entry of the `hooklake` CLI: runs one command and returns its exit code
// (0 ok, 1 API or user error, 2 usage). In-process callers (tests) pass their own io.
import { CommanderError } from 'commander';
import { CliError, type CliIo } from './context.ts';
import { buildProgram } from './program.ts';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;

export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const fullIo: CliIo = {
    stdout: io.stdout ?? ((text) => process.stdout.write(text)),
    stderr: io.stderr ?? ((text) => process.stderr.write(text)),
    env: io.env ?? process.env,
    cwd: io.cwd ?? process.cwd(),
    stderrIsTty: io.stderrIsTty ?? (io.stderr === undefined && process.stderr.isTTY === true),
  };
  try {
    await buildProgram(fullIo).parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
        ? EXIT_OK
        : EXIT_USAGE;
    }
    if (error instanceof CliError) {
      fullIo.stderr(`error: ${error.message}\n`);
      return EXIT_ERROR;
    }
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    fullIo.stderr(`error: ${message}\n`);
    if (fullIo.env.HOOKLAKE_DEBUG === '1' && error instanceof Error && error.stack) fullIo.stderr(`${error.stack}\n`);
    return EXIT_ERROR;
  }
}
