// The layering rule (ARCHITECTURE.md): shared/domain/ holds rules only. No module under it imports
// a port, an adapter, a service, the API/HTTP layer, a composition root or the AWS SDK, not even a
// type. Found by scanning every import specifier of every file under shared/domain/.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const REPO = resolve(import.meta.dirname, '../..');
const DOMAIN = join(REPO, 'shared/domain');

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

const FORBIDDEN_FOLDERS = ['shared/ports', 'shared/adapters', 'shared/services', 'shared/api', 'functions', 'infra', 'cli'];
const FORBIDDEN_PACKAGES = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^aws-lambda$/,
  /^@middy\//,
  /^hono(\/|$)/,
  /^hono-openapi$/,
  /^@hono\//,
  /^undici$/,
  /^(node:)?(http|https|http2|net|tls|dns|dgram)(\/|$)/,
];

/** Why `specifier` (imported by `file`) breaks the rule, or undefined. */
export function layerViolation(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) {
    const target = relative(REPO, resolve(dirname(file), specifier));
    const folder = FORBIDDEN_FOLDERS.find((name) => target === name || target.startsWith(`${name}/`));
    return folder === undefined ? undefined : `imports ${target} (${folder}/)`;
  }
  return FORBIDDEN_PACKAGES.some((pattern) => pattern.test(specifier)) ? `imports the package ${specifier}` : undefined;
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('layers', () => {
  it('no module under shared/domain/ imports a port, adapter, service, the API/HTTP layer or the AWS SDK', () => {
    const files = sourcesUnder(DOMAIN);
    expect(files.length).toBeGreaterThan(20);
    const violations = files.flatMap((file) =>
      importSpecifiers(readFileSync(file, 'utf8')).flatMap((specifier) => {
        const why = layerViolation(file, specifier);
        return why === undefined ? [] : [`${relative(REPO, file)} ${why}`];
      }),
    );
    expect(violations).toEqual([]);
  });

  it('the scanner finds every import form, and the rule flags each forbidden kind', () => {
    const source = [
      "import { a } from '../ports/management.ts';",
      "import type { B } from '../adapters/outbound-store.ts';",
      'import {\n  c,\n  type D,\n} from "../services/fanout.ts";',
      "export { e } from '../api/router.ts';",
      "export * from './outbound/events.ts';",
      "import '../../functions/api/app.ts';",
      "const f = await import('@aws-sdk/client-dynamodb');",
      "import * as g from 'hono';",
      "import h from 'node:http';",
      "// import { ignored } from '../ports/commented-out.ts';",
    ].join('\n');
    const specifiers = importSpecifiers(source);
    expect(specifiers).toEqual([
      '../ports/management.ts',
      '../adapters/outbound-store.ts',
      '../services/fanout.ts',
      '../api/router.ts',
      './outbound/events.ts',
      'hono',
      'node:http',
      '../../functions/api/app.ts',
      '@aws-sdk/client-dynamodb',
    ]);
    const file = join(DOMAIN, 'example.ts');
    expect(specifiers.filter((specifier) => layerViolation(file, specifier) !== undefined)).toEqual(
      specifiers.filter((specifier) => specifier !== './outbound/events.ts'),
    );
    expect(layerViolation(join(DOMAIN, 'outbound/x.ts'), '../json.ts')).toBeUndefined();
    expect(layerViolation(join(DOMAIN, 'outbound/x.ts'), 'valibot')).toBeUndefined();
    expect(layerViolation(join(DOMAIN, 'outbound/x.ts'), '../../ports/outbound.ts')).toBe('imports shared/ports/outbound.ts (shared/ports/)');
  });
});
