// The layering rule (ARCHITECTURE.md, docs/design.md "Code layout"), checked over every import of
// every source file, type-only ones included. The floors of shared/, from the ground up:
//
//   domain/     rules only: imports nothing above it, no I/O package
//   ports/      interfaces: the domain and one another
//   services/   use cases over ports: never an adapter, the API, config.ts or an I/O package
//   adapters/   ports' implementations (AWS SDK, undici, DuckDB): never a service or the API
//   api/        the HTTP layer: ports and the domain, never a service, an adapter or config.ts
//
// Above them the composition roots (functions/, infra/, cli/), which may take anything; nothing in
// shared/ imports them, and no module of the tree imports a test. And no import circle anywhere.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');

/** Every module specifier a TypeScript source names: static, type-only, re-exports, side-effect, dynamic and require. */
export function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w*{}\s,$]*?\s*from\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...code.matchAll(pattern)].map((match) => match[1]!));
}

const AWS = [/^@aws-sdk\//, /^@smithy\//, /^aws-lambda$/];
const HTTP_SERVER = [/^@middy\//, /^hono(\/|$)/, /^hono-openapi$/, /^@hono\//];
const NETWORK = [/^undici$/, /^(node:)?(http|https|http2|net|tls|dns|dgram)(\/|$)/];
const ENGINES = [/^@duckdb\//, /^(node:)?worker_threads$/];

interface Floor {
  /** A folder or a file of the tree. */
  place: string;
  /** What its modules may import of the tree (folders or files); their own place always. */
  may: string[];
  /** Packages none of its modules may import. */
  packages: RegExp[];
}

const FLOORS: Floor[] = [
  { place: 'shared/domain', may: [], packages: [...AWS, ...HTTP_SERVER, ...NETWORK, ...ENGINES] },
  { place: 'shared/ports', may: ['shared/domain'], packages: [...AWS, ...HTTP_SERVER, ...NETWORK, ...ENGINES] },
  { place: 'shared/services', may: ['shared/domain', 'shared/ports', 'shared/logger.ts'], packages: [...AWS, ...HTTP_SERVER, ...NETWORK, ...ENGINES] },
  { place: 'shared/adapters', may: ['shared/domain', 'shared/ports', 'shared/config.ts', 'shared/logger.ts'], packages: [...HTTP_SERVER] },
  { place: 'shared/api', may: ['shared/domain', 'shared/ports', 'shared/logger.ts'], packages: [...AWS, ...NETWORK, ...ENGINES, /^@middy\//] },
  { place: 'shared/config.ts', may: ['shared/domain'], packages: [...AWS, ...HTTP_SERVER, ...NETWORK, ...ENGINES] },
  { place: 'shared/logger.ts', may: [], packages: [...AWS, ...HTTP_SERVER, ...NETWORK, ...ENGINES] },
];

/** Places no source module imports: the tests (only tests and benchmarks use test/support). */
const TOP = ['functions', 'infra', 'cli', 'bench', 'scripts', 'test'];

const within = (path: string, place: string) => path === place || path.startsWith(`${place}/`);

/** Why `specifier`, imported by `file` (repo-relative), breaks the rule of its floor, or undefined. */
export function layerViolation(file: string, specifier: string): string | undefined {
  const floor = FLOORS.find((candidate) => within(file, candidate.place));
  if (specifier.startsWith('.')) {
    const target = relative(REPO, resolve(REPO, dirname(file), specifier));
    if (floor === undefined) {
      // Above shared/: anything but a test (test/ and bench/ may use test/support).
      const test = within(target, 'test') && !within(file, 'test') && !within(file, 'bench');
      return test ? `imports ${target} (a test)` : undefined;
    }
    if (within(target, floor.place) || floor.may.some((place) => within(target, place))) return undefined;
    const above = TOP.find((place) => within(target, place));
    return `imports ${target} (${above ?? FLOORS.find((other) => within(target, other.place))?.place ?? 'outside its floor'})`;
  }
  const banned = floor?.packages.find((pattern) => pattern.test(specifier));
  return banned === undefined ? undefined : `imports the package ${specifier}`;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.name === 'node_modules' || entry.name === 'dist') return [];
    if (entry.isDirectory()) return sourcesUnder(path);
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : [];
  });
}

const SOURCES = ['shared', 'functions', 'infra', 'cli', 'bench', 'scripts', 'console/src', 'test'].flatMap(sourcesUnder);

/** Relative imports as a graph over repo-relative paths. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  return new Map(
    files.map((file) => [
      file,
      importSpecifiers(readFileSync(join(REPO, file), 'utf8'))
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => relative(REPO, resolve(REPO, dirname(file), specifier))),
    ]),
  );
}

/** Every import circle (strongly connected component of more than one module, or a module importing itself). */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (node: string) => {
    indexOf.set(node, index);
    low.set(node, index++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indexOf.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indexOf.get(next)!));
    }
    if (low.get(node) === indexOf.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) circles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indexOf.has(node)) visit(node);
  return circles;
}

describe('layers', () => {
  it('every floor of shared/ imports only the floors below it, and no composition root, test or forbidden package', () => {
    expect(SOURCES.filter((file) => file.startsWith('shared/domain/')).length).toBeGreaterThan(30);
    for (const floor of FLOORS.filter((candidate) => !candidate.place.endsWith('.ts'))) {
      expect(SOURCES.some((file) => within(file, floor.place)), floor.place).toBe(true);
    }
    const violations = SOURCES.flatMap((file) =>
      importSpecifiers(readFileSync(join(REPO, file), 'utf8')).flatMap((specifier) => {
        const why = layerViolation(file, specifier);
        return why === undefined ? [] : [`${file} ${why}`];
      }),
    );
    expect(violations).toEqual([]);
  });

  it('no import circle anywhere in the tree', () => {
    expect(importCircles(importGraph(SOURCES))).toEqual([]);
  });

  it('the scanner finds every import form', () => {
    const source = [
      "import { a } from '../ports/management.ts';",
      "import type { B } from '../adapters/dynamodb/delivery-store.ts';",
      'import {\n  c,\n  type D,\n} from "../services/delivery/fanout.ts";',
      "export { e } from '../api/router.ts';",
      "export * from './delivery/events.ts';",
      "import '../../functions/api/app.ts';",
      "const f = await import('@aws-sdk/client-dynamodb');",
      "import * as g from 'hono';",
      "import h from 'node:http';",
      "// import { ignored } from '../ports/commented-out.ts';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual([
      '../ports/management.ts',
      '../adapters/dynamodb/delivery-store.ts',
      '../services/delivery/fanout.ts',
      '../api/router.ts',
      './delivery/events.ts',
      'hono',
      'node:http',
      '../../functions/api/app.ts',
      '@aws-sdk/client-dynamodb',
    ]);
  });

  it('the rule flags an import of each floor above, and allows those below', () => {
    const flagged = (file: string, specifier: string) => layerViolation(file, specifier) !== undefined;
    // domain: nothing above it, no I/O package
    expect(flagged('shared/domain/delivery/x.ts', '../../ports/delivery.ts')).toBe(true);
    expect(flagged('shared/domain/delivery/x.ts', '../../services/delivery/fanout.ts')).toBe(true);
    expect(flagged('shared/domain/delivery/x.ts', 'undici')).toBe(true);
    expect(flagged('shared/domain/delivery/x.ts', '../json.ts')).toBe(false);
    expect(flagged('shared/domain/delivery/x.ts', 'valibot')).toBe(false);
    // ports: the domain only
    expect(flagged('shared/ports/x.ts', '../services/syncs/engine.ts')).toBe(true);
    expect(flagged('shared/ports/x.ts', '../adapters/duckdb/sync-workspace.ts')).toBe(true);
    expect(flagged('shared/ports/x.ts', '../domain/delivery/log.ts')).toBe(false);
    // services: ports and domain, never an adapter, config.ts, the API, the AWS SDK or a thread
    expect(flagged('shared/services/delivery/x.ts', '../../adapters/http/sender.ts')).toBe(true);
    expect(flagged('shared/services/delivery/x.ts', '../../config.ts')).toBe(true);
    expect(flagged('shared/services/delivery/x.ts', '../../api/app.ts')).toBe(true);
    expect(flagged('shared/services/delivery/x.ts', '@aws-sdk/client-sqs')).toBe(true);
    expect(flagged('shared/services/delivery/x.ts', 'node:worker_threads')).toBe(true);
    expect(flagged('shared/services/delivery/x.ts', '../../ports/delivery.ts')).toBe(false);
    expect(flagged('shared/services/delivery/x.ts', '../syncs/engine.ts')).toBe(false);
    // adapters: never a service or the API
    expect(flagged('shared/adapters/dynamodb/x.ts', '../../services/delivery/fanout.ts')).toBe(true);
    expect(flagged('shared/adapters/dynamodb/x.ts', '../../api/router.ts')).toBe(true);
    expect(flagged('shared/adapters/dynamodb/x.ts', '@aws-sdk/client-dynamodb')).toBe(false);
    expect(flagged('shared/adapters/clients/x.ts', '../../config.ts')).toBe(false);
    // api: never a service, an adapter or config.ts
    expect(flagged('shared/api/x.ts', '../services/inspector/request-inspector.ts')).toBe(true);
    expect(flagged('shared/api/x.ts', '../adapters/dynamodb/management-store.ts')).toBe(true);
    expect(flagged('shared/api/x.ts', '../config.ts')).toBe(true);
    expect(flagged('shared/api/x.ts', '../ports/syncs.ts')).toBe(false);
    // nothing in shared/ reaches a composition root; nothing but tests and benchmarks a test
    expect(flagged('shared/services/x.ts', '../../functions/api/app.ts')).toBe(true);
    expect(flagged('functions/api/app.ts', '../../test/support/stack.ts')).toBe(true);
    expect(flagged('bench/fanout.ts', '../test/support/delivery-world.ts')).toBe(false);
    expect(flagged('functions/api/app.ts', '../../shared/adapters/clients/s3.ts')).toBe(false);
  });

  it('the circle finder finds a loop of any length, and only loops', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'd']],
      ['d', []],
      ['e', ['e']],
    ]);
    expect(importCircles(graph)).toEqual([['a', 'b', 'c'], ['e']]);
    expect(importCircles(new Map([['a', ['b']], ['b', []]]))).toEqual([]);
  });
});
