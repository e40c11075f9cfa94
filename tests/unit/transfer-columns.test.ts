import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { columnOf, TRANSFER_TABLES } from '../../src/db/repositories/transfer.js';
import { getDmmf } from '../support/prisma-dmmf.js';

describe('import column names', () => {
  it('when a transfer table is read from the Prisma schema, then every field maps to the column its name gives', () => {
    const schema = readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
    const models = getDmmf(schema).datamodel.models.filter((m) =>
      (TRANSFER_TABLES as readonly string[]).includes(m.dbName ?? m.name),
    );
    expect(models.map((m) => m.dbName).sort()).toEqual([...TRANSFER_TABLES].sort());
    for (const model of models) {
      for (const field of model.fields.filter((f) => f.kind === 'scalar' || f.kind === 'enum')) {
        expect(`${model.dbName}.${columnOf(field.name)}`).toBe(`${model.dbName}.${field.dbName ?? field.name}`);
      }
    }
  });
});
