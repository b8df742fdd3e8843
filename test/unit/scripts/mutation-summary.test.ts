// scripts/mutation-summary.ts: the per-module scores of a Stryker report, and which survivors the
// equivalent-mutant tables of docs/mutation.md account for (matched on mutator, code and replacement).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseEquivalents, summarize, type MutationReport } from '../../../scripts/mutation-summary.ts';

const SOURCE = ['export function f(a: number, b: string) {', '  if (a <= 3 || b === "x|y") return `t`;', '  return a;', '}'].join('\n');
const at = (line: number, start: number, end: number) => ({ start: { line, column: start }, end: { line, column: end } });
const REPORT: MutationReport = {
  files: {
    'src/f.ts': {
      source: SOURCE,
      mutants: [
        { id: '1', mutatorName: 'EqualityOperator', replacement: 'a < 3', status: 'Survived', location: at(2, 7, 13) },
        { id: '2', mutatorName: 'StringLiteral', replacement: '""', status: 'Survived', location: at(2, 23, 28) },
        { id: '3', mutatorName: 'StringLiteral', replacement: '``', status: 'NoCoverage', location: at(2, 37, 40) },
        { id: '4', mutatorName: 'BlockStatement', replacement: '{}', status: 'Killed', location: at(1, 42, 4) },
        { id: '5', mutatorName: 'ConditionalExpression', replacement: 'true', status: 'Timeout', location: at(2, 7, 13) },
        { id: '6', mutatorName: 'ConditionalExpression', replacement: 'false', status: 'RuntimeError', location: at(2, 7, 13) },
      ],
    },
  },
};

const DOC = `# Mutation testing

### src/f.ts

| Mutator | Code | Becomes | Why it is equivalent |
| --- | --- | --- | --- |
| EqualityOperator | \`a <= 3\` | \`a < 3\` | line 2: a is never 3. |
| StringLiteral | \`"x\\|y"\` | \`""\` | line 2: a pipe in a cell. |
| StringLiteral | \`\` \`t\` \`\` | \`\` \`\` \`\` | a backtick in a cell. |

### src/other.ts

| Mutator | Code | Becomes | Why it is equivalent |
| --- | --- | --- | --- |
| EqualityOperator | \`a <= 3\` | \`a < 3\` | another file's row matches nothing here. |
`;

describe('mutation summary', () => {
  it('reads the rows under each file heading, pipes and backticks inside code cells included', () => {
    expect(parseEquivalents(DOC).map(({ file, mutator, code, becomes }) => [file, mutator, code, becomes])).toEqual([
      ['src/f.ts', 'EqualityOperator', 'a <= 3', 'a < 3'],
      ['src/f.ts', 'StringLiteral', '"x|y"', '""'],
      ['src/f.ts', 'StringLiteral', '`t`', '``'],
      ['src/other.ts', 'EqualityOperator', 'a <= 3', 'a < 3'],
    ]);
  });

  it('scores killed and timed-out over all but errors, and accounts for survivors listed as equivalent', () => {
    const [score] = summarize(REPORT, parseEquivalents(DOC));
    expect(score).toMatchObject({ file: 'src/f.ts', killed: 1, timedOut: 1, survived: 2, noCoverage: 1, errors: 1, equivalent: 3, unexplained: [] });
    expect(score!.score).toBeCloseTo(40, 10);
  });

  it('names each survivor that no row of its own file lists, one row per survivor', () => {
    const rows = parseEquivalents(DOC).filter((row) => row.mutator !== 'StringLiteral' || row.code !== '"x|y"');
    const twice: MutationReport = { files: { 'src/f.ts': { ...REPORT.files['src/f.ts']!, mutants: [...REPORT.files['src/f.ts']!.mutants, { ...REPORT.files['src/f.ts']!.mutants[0]!, id: '7' }] } } };
    const [score] = summarize(twice, rows);
    expect(score!.unexplained.map((s) => [s.line, s.mutator, s.code, s.becomes])).toEqual([
      [2, 'StringLiteral', '"x|y"', '""'],
      [2, 'EqualityOperator', 'a <= 3', 'a < 3'],
    ]);
  });

  it("docs/mutation.md's rows all parse into a known file, mutator, code and replacement", () => {
    const rows = parseEquivalents(readFileSync(new URL('../../../docs/mutation.md', import.meta.url), 'utf8'));
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.file).toMatch(/^shared\/.+\.ts$/);
      expect(row.mutator).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(row.code).not.toBe('');
      expect(row.reason.length).toBeGreaterThan(10);
    }
  });
});
