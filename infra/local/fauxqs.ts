// fauxqs, loaded when the emulators start and without SQLite's experimental warning. fauxqs
// imports node:sqlite, which Node 24 still marks experimental: loading it prints
// "ExperimentalWarning: SQLite is an experimental feature…" once in every thread that loads it
// (the stack's main thread and its emulator worker), to people who cannot act on it. Only that
// warning is dropped, matched by type and text; every other warning still prints. Loading fauxqs
// here rather than at import also keeps it out of threads that merely start the emulator worker.
import type { startFauxqs as StartFauxqs } from 'fauxqs';

export async function startFauxqs(...options: Parameters<typeof StartFauxqs>): ReturnType<typeof StartFauxqs> {
  silenceSqliteExperimentalWarning();
  const fauxqs = await import('fauxqs');
  return fauxqs.startFauxqs(...options);
}

const SQLITE_EXPERIMENTAL = /^SQLite is an experimental feature\b/;
let silenced = false;

/** Drops Node's ExperimentalWarning about node:sqlite in this thread; idempotent. */
export function silenceSqliteExperimentalWarning(): void {
  if (silenced) return;
  silenced = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function emitWarningExceptSqlite(this: NodeJS.Process, warning: string | Error, ...rest: unknown[]) {
    if (isSqliteExperimentalWarning(warning, rest[0])) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}

/** `emitWarning(message, 'ExperimentalWarning')`, `(message, { type })` or an Error named so. */
function isSqliteExperimentalWarning(warning: string | Error, typeOrOptions: unknown): boolean {
  const message = typeof warning === 'string' ? warning : warning.message;
  const type =
    typeof warning !== 'string'
      ? warning.name
      : typeof typeOrOptions === 'string'
        ? typeOrOptions
        : (typeOrOptions as { type?: unknown } | undefined)?.type;
  return type === 'ExperimentalWarning' && SQLITE_EXPERIMENTAL.test(message);
}
