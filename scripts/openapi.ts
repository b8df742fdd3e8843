// Writes docs/openapi.json: the management API's OpenAPI 3.1 document, generated from the route
// definitions (shared/api), exactly as GET /v4/openapi.json serves it. `npm run openapi` after
// changing a route; test/unit/shared/api/openapi.test.ts fails while the committed copy is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { API_ROUTES } from '../shared/api/app.ts';
import { openApiDocument } from '../shared/api/openapi.ts';

export const DOCUMENT_FILE = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

/** The file's text: the document, two-space indented, with a final newline. */
export async function openApiDocumentText(): Promise<string> {
  return `${JSON.stringify(await openApiDocument(API_ROUTES), null, 2)}\n`;
}

if (import.meta.main) {
  writeFileSync(DOCUMENT_FILE, await openApiDocumentText());
  console.log(`wrote ${DOCUMENT_FILE}`);
}
