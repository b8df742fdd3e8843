// Builds the console (console/src, Preact + htm) into console/dist: index.html and assets/app.js
// and app.css, minified by esbuild. Plain JavaScript so it runs on whatever Node npm uses.
// `npm start`, `npm test`, `npm run test:browser` and the CDK app (cdk synth/deploy) run it first;
// console/dist is never committed.
// `--stats` prints the sizes (raw and gzipped) that the README records.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'console');
const outdir = join(root, 'console', 'dist');

export async function buildConsole() {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'assets'), { recursive: true });
  await build({
    entryPoints: { app: join(source, 'src', 'main.ts'), 'app-style': join(source, 'src', 'style.css') },
    outdir: join(outdir, 'assets'),
    entryNames: '[name]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    platform: 'browser',
    legalComments: 'none',
    logLevel: 'warning',
  });
  // esbuild names the CSS entry after its key; the page loads assets/app.css.
  copyFileSync(join(outdir, 'assets', 'app-style.css'), join(outdir, 'assets', 'app.css'));
  rmSync(join(outdir, 'assets', 'app-style.css'));
  copyFileSync(join(source, 'index.html'), join(outdir, 'index.html'));
  const sizes = readdirSync(join(outdir, 'assets')).map((name) => {
    const bytes = readFileSync(join(outdir, 'assets', name));
    return { name, bytes: bytes.length, gzipped: gzipSync(bytes, { level: 9 }).length };
  });
  const html = readFileSync(join(outdir, 'index.html'));
  sizes.push({ name: 'index.html', bytes: html.length, gzipped: gzipSync(html, { level: 9 }).length });
  return sizes;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildConsole();
  if (process.argv.includes('--stats')) {
    for (const size of sizes) console.log(`${size.name}: ${size.bytes} B, ${size.gzipped} B gzipped`);
    console.log(`total: ${sizes.reduce((sum, size) => sum + size.gzipped, 0)} B gzipped`);
  }
}
