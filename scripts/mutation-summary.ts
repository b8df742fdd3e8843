// After `stryker run` (npm run mutation): one line per mutated module with its mutation score, and
// every surviving mutant that docs/mutation.md does not list as equivalent. Exits 1 when a module
// scores under the goal or a survivor is neither killed nor listed, so the command fails loudly.
//
// docs/mutation.md lists equivalent mutants in tables under a `### <file>` heading, one row each:
// | Mutator | Code | Becomes | Why it is equivalent |
// where Code is the mutated source text and Becomes its replacement, both in backticks (a `|`
// inside them written `\|`). A row matches a survivor of that file by mutator, code and replacement.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SCORE_GOAL = 90;
/** Stryker's JSON report; another one can be named as the first argument. */
const REPORT_FILE = process.argv[2] ?? fileURLToPath(new URL('../reports/mutation/mutation.json', import.meta.url));
const EQUIVALENTS_FILE = fileURLToPath(new URL('../docs/mutation.md', import.meta.url));

interface Position {
  line: number;
  column: number;
}
interface ReportMutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: Position; end: Position };
}
export interface MutationReport {
  files: Record<string, { source: string; mutants: ReportMutant[] }>;
}

export interface Equivalent {
  file: string;
  mutator: string;
  code: string;
  becomes: string;
  reason: string;
}

export interface Survivor {
  file: string;
  line: number;
  mutator: string;
  code: string;
  becomes: string;
  status: string;
}

export interface ModuleScore {
  file: string;
  score: number;
  killed: number;
  timedOut: number;
  survived: number;
  noCoverage: number;
  errors: number;
  /** Survivors (and mutants no test covers) that no row of docs/mutation.md accounts for. */
  unexplained: Survivor[];
  /** Survivors that a row of docs/mutation.md lists as equivalent. */
  equivalent: number;
}

/** The source text a mutant replaces (1-based lines, 1-based columns as Stryker reports them). */
function sourceText(source: string, { start, end }: { start: Position; end: Position }): string {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1]!.slice(start.column - 1, end.column - 1);
  const first = lines[start.line - 1]!.slice(start.column - 1);
  const middle = lines.slice(start.line, end.line - 1);
  const last = lines[end.line - 1]!.slice(0, end.column - 1);
  return [first, ...middle, last].join('\n');
}

/** Whitespace runs as one space: a row fits on one line, a mutated block may span several. */
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((cell) => cell.trim().replaceAll('\\|', '|'));
}

const unquote = (cell: string) => squash(cell.replace(/^`+\s?/, '').replace(/\s?`+$/, ''));

/** The rows of docs/mutation.md's equivalent-mutant tables. */
export function parseEquivalents(markdown: string): Equivalent[] {
  const rows: Equivalent[] = [];
  let file: string | undefined;
  for (const line of markdown.split('\n')) {
    const heading = /^###\s+`?([^`\s]+)`?\s*$/.exec(line);
    if (heading !== null) {
      file = heading[1];
      continue;
    }
    if (file === undefined || !line.trim().startsWith('|')) continue;
    const [mutator, code, becomes, reason] = cells(line);
    if (mutator === undefined || code === undefined || becomes === undefined || reason === undefined) continue;
    if (mutator === 'Mutator' || /^-+$/.test(mutator.replaceAll(':', ''))) continue;
    rows.push({ file, mutator, code: unquote(code), becomes: unquote(becomes), reason });
  }
  return rows;
}

export function summarize(report: MutationReport, equivalents: readonly Equivalent[]): ModuleScore[] {
  const unused = [...equivalents];
  return Object.entries(report.files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, { source, mutants }]) => {
      const count = (status: string) => mutants.filter((mutant) => mutant.status === status).length;
      const killed = count('Killed');
      const timedOut = count('Timeout');
      const survived = count('Survived');
      const noCoverage = count('NoCoverage');
      const detected = killed + timedOut;
      const valid = detected + survived + noCoverage;
      const unexplained: Survivor[] = [];
      let equivalent = 0;
      for (const mutant of mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')) {
        const survivor: Survivor = {
          file,
          line: mutant.location.start.line,
          mutator: mutant.mutatorName,
          code: squash(sourceText(source, mutant.location)),
          becomes: squash(mutant.replacement ?? ''),
          status: mutant.status,
        };
        const index = unused.findIndex(
          (row) => row.file === file && row.mutator === survivor.mutator && row.code === survivor.code && row.becomes === survivor.becomes,
        );
        if (index === -1) unexplained.push(survivor);
        else {
          unused.splice(index, 1);
          equivalent++;
        }
      }
      return {
        file,
        score: valid === 0 ? 100 : (100 * detected) / valid,
        killed,
        timedOut,
        survived,
        noCoverage,
        errors: count('RuntimeError') + count('CompileError'),
        unexplained,
        equivalent,
      };
    });
}

const clip = (text: string, length = 90) => (text.length > length ? `${text.slice(0, length - 1)}…` : text);

if (import.meta.main) {
  if (!existsSync(REPORT_FILE)) {
    console.error(`no report at ${REPORT_FILE}: run \`npx stryker run\` first`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(REPORT_FILE, 'utf8')) as MutationReport;
  const scores = summarize(report, existsSync(EQUIVALENTS_FILE) ? parseEquivalents(readFileSync(EQUIVALENTS_FILE, 'utf8')) : []);
  const width = Math.max(...scores.map((s) => s.file.length));
  console.log(`\nMutation score per module (goal ${SCORE_GOAL}%; equivalent survivors are listed in docs/mutation.md and still count as survived):`);
  for (const s of scores) {
    const mark = s.score >= SCORE_GOAL ? 'ok ' : 'LOW';
    console.log(
      `${mark} ${s.file.padEnd(width)}  ${s.score.toFixed(2).padStart(6)}%  killed ${s.killed + s.timedOut}, survived ${s.survived}, no coverage ${s.noCoverage}, equivalent (listed) ${s.equivalent}`,
    );
  }
  const unexplained = scores.flatMap((s) => s.unexplained);
  if (unexplained.length > 0) {
    console.log(`\n${unexplained.length} surviving mutant(s) neither killed nor listed as equivalent in docs/mutation.md:`);
    for (const s of unexplained) console.log(`  ${s.file}:${s.line} ${s.mutator}${s.status === 'NoCoverage' ? ' (no test covers it)' : ''}: \`${clip(s.code)}\` → \`${clip(s.becomes)}\``);
  }
  if (unexplained.length > 0 || scores.some((s) => s.score < SCORE_GOAL)) process.exit(1);
}
