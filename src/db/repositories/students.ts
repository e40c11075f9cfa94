import { Prisma, type Student } from '../../generated/prisma/client.js';
import type { TenantScope } from '../context.js';
import { guard } from '../errors.js';

export type StudentRow = Student;

export interface StudentListQuery {
  limit: number;
  after?: string;
  q?: string;
  active?: boolean;
}

export type StudentWrite = Omit<Prisma.StudentUncheckedCreateInput, 'tenantId' | 'id' | 'createdAt' | 'updatedAt'>;

const CONFLICT = 'a student with this studentNo or email already exists';

/** Shorter search terms have no trigram: they are answered by scanning the tenant's students. */
export const SEARCH_MIN_CHARS = 3;

/** A student row's columns as the model names them, from `students st`. */
const COLUMNS = Prisma.sql`st.tenant_id AS "tenantId", st.id, st.student_no AS "studentNo",
  st.first_name AS "firstName", st.last_name AS "lastName", st.email, st.date_of_birth AS "dateOfBirth",
  st.active, st.created_at AS "createdAt", st.updated_at AS "updatedAt"`;
/** The same, unqualified: an INSERT's RETURNING list (no table alias for Citus to deparse). */
const RETURNED = Prisma.sql`tenant_id AS "tenantId", id, student_no AS "studentNo",
  first_name AS "firstName", last_name AS "lastName", email, date_of_birth AS "dateOfBirth",
  active, created_at AS "createdAt", updated_at AS "updatedAt"`;

/** A date column's value as 'YYYY-MM-DD' (a Date parameter would be cast in the session's time zone). */
const isoDate = (d: Date | string | null | undefined) =>
  d === null || d === undefined ? null : d instanceof Date ? d.toISOString().slice(0, 10) : d.slice(0, 10);

/** ILIKE takes % and _ as wildcards and \\ as the escape: make the term match literally. */
const likeEscape = (q: string) => q.replace(/[\\%_]/g, '\\$&');

/**
 * The search statement for a `q` of at least SEARCH_MIN_CHARS characters, through
 * student_search: trigram equality, which an index serves under row-level security (ILIKE
 * cannot be an index condition there). The term's rarest trigram in the tenant (counted up to
 * 1,000) drives; its students are walked in id order and each is checked with the same ILIKE
 * as the scan, until the page is full — the same rows in the same order as the scan.
 */
export function studentSearchSql(tenantId: string, query: StudentListQuery & { q: string }): Prisma.Sql {
  const pattern = `%${likeEscape(query.q)}%`;
  const after = query.after ? Prisma.sql`AND d.student_id > ${query.after}::uuid` : Prisma.empty;
  const active = query.active === undefined ? Prisma.empty : Prisma.sql`AND st.active = ${query.active}`;
  return Prisma.sql`
    WITH driver AS (
      SELECT g FROM unnest(app.search_trigrams(ARRAY[${query.q}::text])) AS g
       ORDER BY (SELECT count(*) FROM (SELECT FROM student_search x
                                        WHERE x.tenant_id = ${tenantId}::uuid AND x.trigram = g LIMIT 1000) c), g
       LIMIT 1)
    SELECT m.* FROM student_search d
     CROSS JOIN LATERAL (
       SELECT ${COLUMNS} FROM students st
        WHERE st.tenant_id = ${tenantId}::uuid AND st.id = d.student_id ${active}
          AND (st.first_name ILIKE ${pattern} OR st.last_name ILIKE ${pattern}
               OR st.student_no ILIKE ${pattern} OR st.email ILIKE ${pattern})
        LIMIT 1) m
     WHERE d.tenant_id = ${tenantId}::uuid AND d.trigram = (SELECT g FROM driver) ${after}
     ORDER BY d.student_id
     LIMIT ${query.limit}`;
}

/**
 * A page of the tenant's students in id order, without search or with a term too short for
 * trigrams (then ILIKE over the same columns as the search, which scans the tenant's students).
 * Sent on the connection (scope.sql) rather than through the model's findMany: the list is a
 * hot read and Prisma's query building and row mapping cost more than the query.
 */
export function studentPageSql(tenantId: string, query: StudentListQuery): Prisma.Sql {
  const after = query.after ? Prisma.sql`AND st.id > ${query.after}::uuid` : Prisma.empty;
  const active = query.active === undefined ? Prisma.empty : Prisma.sql`AND st.active = ${query.active}`;
  const pattern = query.q ? `%${likeEscape(query.q)}%` : undefined;
  const search = pattern
    ? Prisma.sql`AND (st.first_name ILIKE ${pattern} OR st.last_name ILIKE ${pattern}
                      OR st.student_no ILIKE ${pattern} OR st.email ILIKE ${pattern})`
    : Prisma.empty;
  return Prisma.sql`
    SELECT ${COLUMNS} FROM students st
     WHERE st.tenant_id = ${tenantId}::uuid ${after} ${active} ${search}
     ORDER BY st.id
     LIMIT ${query.limit}`;
}

/**
 * Students of the scope's tenant. Every query names tenant_id explicitly as well as relying on
 * RLS: defence in depth on one node, and single-shard routing on Citus.
 */
export function studentRepository({ tx, sql, tenantId }: TenantScope) {
  return {
    list(query: StudentListQuery): Promise<StudentRow[]> {
      if (query.q && [...query.q].length >= SEARCH_MIN_CHARS) {
        return sql<StudentRow>(studentSearchSql(tenantId, { ...query, q: query.q }));
      }
      return sql<StudentRow>(studentPageSql(tenantId, query));
    },

    /**
     * By id, straight on the connection (scope.sql): the hottest read, and the one where
     * Prisma's query handling costs most relative to the query. Same columns and types as the model.
     */
    async get(id: string): Promise<StudentRow | null> {
      const rows = await sql<StudentRow>(
        Prisma.sql`SELECT ${COLUMNS} FROM students st WHERE st.tenant_id = ${tenantId}::uuid AND st.id = ${id}::uuid`,
      );
      return rows[0] ?? null;
    },

    /** One INSERT … RETURNING on the connection, like get (the model's create costs ~1 ms of CPU more). */
    create(id: string, data: StudentWrite): Promise<StudentRow> {
      return guard(
        async () => {
          const rows = await sql<StudentRow>(Prisma.sql`
          INSERT INTO students (tenant_id, id, student_no, first_name, last_name, email, date_of_birth, active)
          VALUES (${tenantId}::uuid, ${id}::uuid, ${data.studentNo}, ${data.firstName}, ${data.lastName},
                  ${data.email ?? null}, ${isoDate(data.dateOfBirth)}::date, ${data.active ?? true})
          RETURNING ${RETURNED}`);
          return rows[0] as StudentRow;
        },
        { conflict: CONFLICT },
      );
    },

    createMany(rows: (StudentWrite & { id: string })[]): Promise<number> {
      return guard(async () => (await tx.student.createMany({ data: rows.map((r) => ({ ...r, tenantId })) })).count, {
        conflict: CONFLICT,
      });
    },

    update(id: string, data: Partial<StudentWrite>): Promise<StudentRow> {
      return guard(() => tx.student.update({ where: { tenantId_id: { tenantId, id } }, data }), {
        conflict: CONFLICT,
        notFound: 'student',
      });
    },

    async remove(id: string): Promise<void> {
      await guard(() => tx.student.delete({ where: { tenantId_id: { tenantId, id } } }), { notFound: 'student' });
    },
  };
}
