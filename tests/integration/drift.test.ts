import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getDmmf } from '../support/prisma-dmmf.js';
import {
  databaseColumns,
  diffColumns,
  dmmfOfGeneratedClient,
  generatedClientModel,
  prismaColumns,
} from '../support/schema-drift.js';
import { createScratchDatabase } from '../support/scratch-database.js';

// The migrations are hand-written SQL (no schema engine here), so nothing but this test keeps
// them and the Prisma schema the client was generated from in step.
const db = inject('db');
let runtime: pg.Pool;

beforeAll(() => {
  runtime = new pg.Pool({ connectionString: db.runtimeUrl, max: 1 });
});
afterAll(() => runtime.end());

describe('database and Prisma schema drift', () => {
  it('when the migrated database is compared with the generated client, then tables, columns, nullability and types match', async () => {
    const expected = prismaColumns(dmmfOfGeneratedClient());
    const actual = await databaseColumns(runtime);
    expect(actual.length).toBeGreaterThan(50);
    expect(diffColumns(actual, expected)).toEqual([]);
  });

  it('when the DMMF is computed from the client’s schema, then it agrees with the client’s runtime data model', () => {
    const { runtime: model } = generatedClientModel();
    const fromDmmf = Object.fromEntries(
      dmmfOfGeneratedClient().datamodel.models.map((m) => [
        m.name,
        { table: m.dbName ?? m.name, fields: m.fields.map((f) => `${f.name}:${f.kind}:${f.dbName ?? f.name}`) },
      ]),
    );
    const fromRuntime = Object.fromEntries(
      Object.entries(model.models).map(([name, m]) => [
        name,
        { table: m.dbName ?? name, fields: m.fields.map((f) => `${f.name}:${f.kind}:${f.dbName ?? f.name}`) },
      ]),
    );
    expect(fromDmmf).toEqual(fromRuntime);
  });

  it('when prisma/schema.prisma is compared with the schema the client was generated from, then their data models are equal', () => {
    // Compared as DMMF, not as text: reformatting the file is not drift, a changed field is.
    const onDisk = readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
    expect(getDmmf(onDisk).datamodel).toEqual(dmmfOfGeneratedClient().datamodel);
  });

  it('when a database drifts in either direction, then the comparison names every difference', async () => {
    const scratch = await createScratchDatabase(db, 'tenantry_drift');
    const pool = new pg.Pool({ connectionString: scratch.runtimeUrl, max: 1 });
    try {
      await scratch.exec(
        'owner',
        `ALTER TABLE students ADD COLUMN nickname text;
         ALTER TABLE audit_log DROP COLUMN actor_id;
         ALTER TABLE courses ALTER COLUMN capacity SET NOT NULL;
         ALTER TABLE tenant_settings ALTER COLUMN plan TYPE varchar(20);
         DROP TABLE domain_events;
         CREATE TABLE unmodelled (id uuid PRIMARY KEY);`,
      );
      const diff = diffColumns(await databaseColumns(pool), prismaColumns(dmmfOfGeneratedClient()));
      expect(diff).toEqual(
        [
          'column students.nickname is in the database but not in the Prisma schema',
          'column audit_log.actor_id is in the Prisma schema but not in the database',
          'column courses.capacity: database NOT NULL, Prisma optional',
          'column tenant_settings.plan: database type character varying, Prisma expects text',
          'table domain_events is in the Prisma schema but not in the database',
          'table unmodelled is in the database but not in the Prisma schema',
        ].sort(),
      );
    } finally {
      await pool.end();
      await scratch.drop();
    }
  });
});
