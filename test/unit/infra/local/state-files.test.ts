// The local stack's state files (infra/local/state-files.ts): written whole or not at all, read
// back as written.
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareDataDir, writePrivateFile } from '../../../../infra/local/state-files.ts';

describe('local stack state files', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const mode = (path: string) => (statSync(path).mode & 0o7777).toString(8);

  it('creates the data dir 0700, nested, and tightens an existing one to 0700', () => {
    root = mkdtempSync(join(tmpdir(), 'hooklake-state-'));
    const fresh = join(root, 'a', 'b', '.data');
    prepareDataDir(fresh);
    expect(mode(fresh)).toBe('700');
    const wide = join(root, 'wide');
    prepareDataDir(wide);
    chmodSync(wide, 0o775);
    prepareDataDir(wide);
    expect(mode(wide)).toBe('700');
  });

  it('refuses a shared sticky directory (like /tmp) instead of chmod-ing it', () => {
    root = mkdtempSync(join(tmpdir(), 'hooklake-state-'));
    const shared = join(root, 'shared');
    prepareDataDir(shared);
    chmodSync(shared, 0o1777);
    expect(() => prepareDataDir(shared)).toThrow(/sticky/);
    expect(mode(shared)).toBe('1777');
  });

  it('writes stack.json 0600 even over a 0644 file, whole, leaving no temporary file', () => {
    root = mkdtempSync(join(tmpdir(), 'hooklake-state-'));
    const file = join(root, 'stack.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o644);
    writePrivateFile(file, '{"adminToken":"hla_x"}\n');
    expect(mode(file)).toBe('600');
    expect(readFileSync(file, 'utf8')).toBe('{"adminToken":"hla_x"}\n');
    writePrivateFile(join(root, 'new.json'), '{}');
    expect(mode(join(root, 'new.json'))).toBe('600');
    expect(readdirSync(root).sort()).toEqual(['new.json', 'stack.json']);
    expect(existsSync(`${file}.${process.pid}.tmp`)).toBe(false);
  });
});
