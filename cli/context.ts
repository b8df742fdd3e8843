// What every command gets: where to write, the environment, and how to report results and errors.
import type { Command } from 'commander';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  cwd: string;
  /** stderr is a terminal: progress lines go there only then (never into a pipe or a log). */
  stderrIsTty?: boolean;
}

/** A failure the user can act on: printed as one line, exit code 1, no stack trace. */
export class CliError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}

/** Options every command accepts (declared once on the program). */
export interface GlobalOptions {
  json?: boolean;
  api?: string;
  adminToken?: string;
}

export function globals(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

/** Prints `value` as JSON with --json, else the human text. */
export function emit(io: CliIo, command: Command, value: unknown, human: () => string): void {
  if (globals(command).json === true) io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  else {
    const text = human();
    io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }
}
