import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { typesOf } from '../../scripts/openapi-types.js';
import { documentApp } from '../support/document-app.js';

describe('the typed client’s types', () => {
  it('when the document changes, then tests/support/api-types.ts is regenerated (npm run openapi:types)', async () => {
    const doc = (await (await documentApp().request('/openapi.json')).json()) as object;
    const current = (await typesOf(doc)) === readFileSync('tests/support/api-types.ts', 'utf8');
    expect(current, 'tests/support/api-types.ts is stale: run `npm run openapi:types`').toBe(true);
  });
});
