// Serves the console (a single-page app built into console/dist by scripts/build-console.mjs)
// under /console/: its assets by name, index.html for every other path (history routing: deep
// links such as /console/pipelines/3/live load the app). Every answer carries the console's
// security headers: a strict CSP (own origin only, no inline script or style), no framing, no
// sniffing, no referrer.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiResponse } from './router.ts';

export const CONSOLE_PREFIX = '/console';

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), clipboard-write=(self)',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

interface Asset {
  body: Buffer;
  contentType: string;
}

export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PREFIX || path.startsWith(`${CONSOLE_PREFIX}/`);
}

/** The console's files, read once from `dir` (index.html and assets/*). */
export function consoleAssets(dir: string): (method: string, path: string) => ApiResponse {
  let files: Map<string, Asset> | undefined;
  const load = () => {
    if (files !== undefined) return files;
    files = new Map();
    const add = (name: string, file: string) => {
      const extension = name.slice(name.lastIndexOf('.'));
      files!.set(name, { body: readFileSync(file), contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream' });
    };
    add('index.html', join(dir, 'index.html'));
    for (const name of readdirSync(join(dir, 'assets'))) add(`assets/${name}`, join(dir, 'assets', name));
    return files;
  };

  const answer = (status: number, asset: Asset, extra: Record<string, string> = {}): ApiResponse => ({
    status,
    headers: { ...CONSOLE_SECURITY_HEADERS, 'content-type': asset.contentType, 'cache-control': 'no-cache', ...extra },
    body: asset.body.toString('utf8'),
  });
  const text = (status: number, message: string, extra: Record<string, string> = {}): ApiResponse => ({
    status,
    headers: { ...CONSOLE_SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra },
    body: message,
  });

  return (method, path) => {
    if (method !== 'GET' && method !== 'HEAD') return text(405, 'method not allowed', { allow: 'GET, HEAD' });
    let assets: Map<string, Asset>;
    try {
      assets = load();
    } catch {
      files = undefined;
      return text(503, 'the console is not built: run `npm run build:console`');
    }
    if (path === CONSOLE_PREFIX) return text(308, '', { location: `${CONSOLE_PREFIX}/` });
    const name = path.slice(CONSOLE_PREFIX.length + 1);
    if (name.startsWith('assets/')) {
      const asset = assets.get(name);
      return asset === undefined ? text(404, 'not found') : answer(200, asset);
    }
    return answer(200, assets.get('index.html')!);
  };
}
