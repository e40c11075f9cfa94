// TypeScript types of the OpenAPI document, for a typed client (openapi-fetch):
// `npm run openapi:types` writes tests/support/api-types.ts from the served document, and a
// test checks that the committed file is what the current document gives.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';

export async function typesOf(document: object): Promise<string> {
  return COMMENT_HEADER + astToString(await openapiTS(document as Parameters<typeof openapiTS>[0]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (!input || !output) throw new Error('usage: tsx scripts/openapi-types.ts <openapi.json> <out.ts>');
  writeFileSync(output, await typesOf(JSON.parse(readFileSync(input, 'utf8'))));
}
