// The Node the project runs on, for the entry points that must start on any Node (bin/hooklake.js,
// scripts/check-node.mjs). `npm ci` installs it into node_modules/.bin (the `node` devDependency);
// npm scripts and `npx hooklake` put that directory first on PATH. package.json declares no
// `engines`: npm checks engines against the Node that runs npm itself (often the system's, older),
// not this one, and would warn on every first `npx hooklake` although nothing runs on that Node.
import { fileURLToPath } from 'node:url';

export const REQUIRED_NODE_MAJOR = 24;

/** The project's own Node, as `npm ci` installs it. */
export const projectNode = fileURLToPath(new URL('../node_modules/.bin/node', import.meta.url));

export function isSupportedNode(version = process.versions.node) {
  return Number(version.split('.')[0]) >= REQUIRED_NODE_MAJOR;
}

/** What to tell someone whose command started on an older Node. */
export function wrongNodeMessage(starter) {
  return (
    `Hooklake runs on Node ${REQUIRED_NODE_MAJOR}, but ${starter} started Node ${process.versions.node}.\n` +
    `\`npm ci\` installs Node ${REQUIRED_NODE_MAJOR} into node_modules/.bin; if that step was skipped (npm can skip\n` +
    'install scripts it has not approved), run `npm rebuild node` and try again.'
  );
}
