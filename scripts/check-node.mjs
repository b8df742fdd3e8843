// Runs before `npm start` and `npm test`: a clear message instead of an obscure failure when the
// project's Node 24 (installed into node_modules by `npm ci`) is not the one npm picked.
import { isSupportedNode, wrongNodeMessage } from './node-version.mjs';

if (!isSupportedNode()) {
  console.error(wrongNodeMessage('npm'));
  process.exit(1);
}
