import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, SQL_DIR } from '../../src/db/migrate.js';
import { splitSqlStatements } from '../../src/db/sql-statements.js';

describe('splitSqlStatements', () => {
  it('when statements are separated by semicolons, then each is returned trimmed and empty ones are dropped', () => {
    expect(splitSqlStatements('SELECT 1;\n\n  SELECT 2 ;;\n-- trailing comment\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('when semicolons sit in literals, quoted identifiers, comments or dollar quotes, then they do not split', () => {
    const script = [
      `SELECT 'a;b', "odd;name", E'it\\'s;' FROM t; -- c;d`,
      `/* block; /* nested; */ still; */ SELECT 2;`,
      `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END $$;`,
      `DO $body$ BEGIN EXECUTE 'SELECT $x$;$x$'; END $body$;`,
      `SELECT $1::int, a$b FROM t`,
    ].join('\n');
    expect(splitSqlStatements(script)).toEqual([
      `SELECT 'a;b', "odd;name", E'it\\'s;' FROM t`,
      `-- c;d\n/* block; /* nested; */ still; */ SELECT 2`,
      `CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; RETURN 2; END $$`,
      `DO $body$ BEGIN EXECUTE 'SELECT $x$;$x$'; END $body$`,
      `SELECT $1::int, a$b FROM t`,
    ]);
  });

  it('when a quote or dollar quote is never closed, then it throws instead of guessing', () => {
    expect(() => splitSqlStatements(`SELECT 'open`)).toThrow(/unterminated/);
    expect(() => splitSqlStatements('DO $$ BEGIN END')).toThrow(/unterminated dollar quote/);
  });

  it('when the project’s sql/ and migration files are split, then no statement still holds two top-level statements', () => {
    const files = [
      ...readdirSync(SQL_DIR).map((f) => join(SQL_DIR, f)),
      ...readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => join(MIGRATIONS_DIR, d.name, 'migration.sql')),
    ].filter((f) => f.endsWith('.sql'));
    expect(files.length).toBeGreaterThan(3);
    for (const file of files) {
      const statements = splitSqlStatements(readFileSync(file, 'utf8'));
      expect(statements.length, file).toBeGreaterThan(0);
      // Re-splitting a statement yields itself: nothing left to split.
      for (const s of statements) expect(splitSqlStatements(s), file).toEqual([s]);
    }
  });
});
