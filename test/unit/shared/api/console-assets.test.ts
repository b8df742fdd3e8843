// The console's files as the api function serves them under /console/: deep links to the app,
// assets with their types, and the security headers of every answer.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONSOLE_SECURITY_HEADERS, consoleAssets } from '../../../../shared/api/console-assets.ts';

describe('console assets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooklake-console-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log(1)');
  const serve = consoleAssets(dir);

  it('serves index.html for every app path (history routing) and assets by name, all with the security headers', () => {
    for (const path of ['/console/', '/console/pipelines/3/live', '/console/tokens']) {
      const answer = serve('GET', path);
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('<title>console</title>');
      expect(answer.headers).toMatchObject({ ...CONSOLE_SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' });
    }
    expect(serve('GET', '/console/assets/app.js')).toMatchObject({ status: 200, body: 'console.log(1)', headers: { 'content-type': 'text/javascript; charset=utf-8' } });
    expect(serve('GET', '/console/assets/missing.js').status).toBe(404);
    expect(serve('GET', '/console/assets/../index.html').status).toBe(404);
    expect(serve('GET', '/console')).toMatchObject({ status: 308, headers: { location: '/console/' } });
    expect(serve('POST', '/console/')).toMatchObject({ status: 405, headers: { allow: 'GET, HEAD' } });
    expect(CONSOLE_SECURITY_HEADERS['content-security-policy']).not.toMatch(/unsafe|\*|https?:/);
    rmSync(dir, { recursive: true, force: true });
  });
});
