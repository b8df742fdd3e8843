// Runs before `npm start` and `npm test`: a clear message instead of an obscure failure when the
// project's Node 24 (installed into node_modules by `npm ci`) is not the one npm picked.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `Hooklake runs on Node 24, but npm started Node ${process.versions.node}.\n` +
      '`npm ci` installs Node 24 into node_modules/.bin; if that step was skipped (npm can skip\n' +
      'install scripts it has not approved), run `npm rebuild node` and try again.',
  );
  process.exit(1);
}
