import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import { type Dmmf, type DmmfField, getDmmf } from './prisma-dmmf.js';

/** One column, as the database has it or as Prisma expects it. */
export interface Column {
  table: string;
  column: string;
  nullable: boolean;
  /** Base type name without modifiers, e.g. `uuid`, `timestamp with time zone`, an enum's name. */
  type: string;
}

interface RuntimeDataModel {
  models: Record<string, { dbName: string | null; fields: { name: string; kind: string; dbName?: string }[] }>;
}

/**
 * What the generated client was built from: its inlined schema and its runtime data model.
 * Both are internals of Prisma 7's client; if they move, this fails loudly rather than passing.
 */
export function generatedClientModel(): { schema: string; runtime: RuntimeDataModel } {
  const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: 'postgres://unused@127.0.0.1:1/x' }) });
  const internals = client as unknown as {
    _engineConfig?: { inlineSchema?: unknown };
    _runtimeDataModel?: RuntimeDataModel;
  };
  const schema = internals._engineConfig?.inlineSchema;
  const runtime = internals._runtimeDataModel;
  if (typeof schema !== 'string' || !runtime?.models) {
    throw new Error(
      'the generated Prisma client no longer exposes inlineSchema/_runtimeDataModel: update schema-drift.ts',
    );
  }
  return { schema, runtime };
}

const SCALARS: Record<string, string> = {
  String: 'text',
  Boolean: 'boolean',
  Int: 'integer',
  BigInt: 'bigint',
  Float: 'double precision',
  Decimal: 'numeric',
  DateTime: 'timestamp without time zone',
  Json: 'jsonb',
  Bytes: 'bytea',
};
const NATIVE: Record<string, string> = {
  Uuid: 'uuid',
  Text: 'text',
  VarChar: 'character varying',
  Char: 'character',
  Timestamptz: 'timestamp with time zone',
  Timestamp: 'timestamp without time zone',
  Date: 'date',
  Time: 'time without time zone',
  Integer: 'integer',
  SmallInt: 'smallint',
  JsonB: 'jsonb',
  Json: 'json',
};

function expectedType(f: DmmfField, enums: Dmmf['datamodel']['enums']): string {
  let base: string | undefined;
  if (f.kind === 'enum') {
    const e = enums.find((x) => x.name === f.type);
    base = e?.dbName ?? f.type;
  } else {
    base = f.nativeType ? NATIVE[f.nativeType[0]] : SCALARS[f.type];
  }
  if (!base) throw new Error(`no coarse type mapping for ${f.name}: ${f.type} ${f.nativeType?.[0] ?? ''}`);
  return f.isList ? `${base}[]` : base;
}

/** Columns Prisma expects, from the DMMF of the generated client's own schema. */
export function prismaColumns(dmmf: Dmmf): Column[] {
  return dmmf.datamodel.models.flatMap((m) =>
    m.fields
      .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
      .map((f) => ({
        table: m.dbName ?? m.name,
        column: f.dbName ?? f.name,
        nullable: !f.isRequired,
        type: expectedType(f, dmmf.datamodel.enums),
      })),
  );
}

let cached: Dmmf | undefined;
export const dmmfOfGeneratedClient = (): Dmmf => {
  cached ??= getDmmf(generatedClientModel().schema);
  return cached;
};

/**
 * Columns of the public tables, read from pg_catalog: readable by the runtime role whatever its
 * table privileges (information_schema.columns would hide platform_admins from it).
 * Partitions are skipped: Prisma maps the partitioned parent.
 */
export async function databaseColumns(client: Pick<pg.Client, 'query'>): Promise<Column[]> {
  const { rows } = await client.query<Column>(
    `SELECT c.relname AS table, a.attname AS column, NOT a.attnotnull AS nullable,
            regexp_replace(format_type(a.atttypid, NULL), '^"(.*)"$', '\\1') AS type
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
        AND c.relname <> '_prisma_migrations'
      ORDER BY 1, 2`,
  );
  return rows;
}

/** Every difference, both directions, one line each. */
export function diffColumns(db: Column[], prisma: Column[]): string[] {
  const key = (c: Column) => `${c.table}.${c.column}`;
  const dbBy = new Map(db.map((c) => [key(c), c]));
  const prBy = new Map(prisma.map((c) => [key(c), c]));
  const dbTables = new Set(db.map((c) => c.table));
  const prTables = new Set(prisma.map((c) => c.table));
  const out: string[] = [];
  for (const t of dbTables)
    if (!prTables.has(t)) out.push(`table ${t} is in the database but not in the Prisma schema`);
  for (const t of prTables)
    if (!dbTables.has(t)) out.push(`table ${t} is in the Prisma schema but not in the database`);
  for (const [k, d] of dbBy) {
    const p = prBy.get(k);
    if (!p) {
      if (prTables.has(d.table)) out.push(`column ${k} is in the database but not in the Prisma schema`);
      continue;
    }
    if (d.nullable !== p.nullable) {
      out.push(
        `column ${k}: database ${d.nullable ? 'NULL' : 'NOT NULL'}, Prisma ${p.nullable ? 'optional' : 'required'}`,
      );
    }
    if (d.type !== p.type) out.push(`column ${k}: database type ${d.type}, Prisma expects ${p.type}`);
  }
  for (const [k, p] of prBy) {
    if (!dbBy.has(k) && dbTables.has(p.table)) out.push(`column ${k} is in the Prisma schema but not in the database`);
  }
  return out.sort();
}
