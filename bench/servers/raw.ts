import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { studentSearchSql } from '../../src/db/repositories/students.js';
import { effectiveLimits } from '../../src/domain/tenant/plans.js';
import {
  assertWriter,
  config,
  createBenchApp,
  HttpError,
  listen,
  type Principal,
  pageQuery,
  poolConfig,
  readStudentInput,
  type StudentRow,
  toDto,
  toPage,
  UUID,
} from './common.js';

// The raw baseline: the limit of this stack. Same token checks, same SQL, same tenant context
// (BEGIN; SELECT app.begin_request($1, $2); …; COMMIT) and same JSON as Tenantry, on a bare
// pg.Pool. RAW_PIPELINE=1 sends the statements of a transaction without waiting for each
// answer (pg ≥ 8.23 pipeline mode): the floor for round trips.

const PIPELINE = process.env.RAW_PIPELINE === '1';
const pool = new pg.Pool({
  ...poolConfig(),
  application_name: PIPELINE ? 'bench-raw-pipelined' : 'bench-raw',
  pipeline: PIPELINE,
});
pool.on('error', (err) => process.stderr.write(`pool error: ${err.message}\n`));

const COLUMNS = `id, student_no AS "studentNo", first_name AS "firstName", last_name AS "lastName", email,
  date_of_birth::text AS "dateOfBirth", active, created_at AS "createdAt", updated_at AS "updatedAt"`;
const SQL = {
  begin: 'SELECT app.begin_request($1::uuid, $2::uuid)',
  list: `SELECT ${COLUMNS} FROM students WHERE tenant_id = $1 ORDER BY id ASC LIMIT $2`,
  listAfter: `SELECT ${COLUMNS} FROM students WHERE tenant_id = $1 AND id > $3 ORDER BY id ASC LIMIT $2`,
  get: `SELECT ${COLUMNS} FROM students WHERE tenant_id = $1 AND id = $2`,
  quota: "SELECT plan, limits, used FROM app.lock_quota($1::uuid, 'students')",
  insert: `INSERT INTO students (tenant_id, id, student_no, first_name, last_name, email, date_of_birth, active, updated_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7::date, $8, now()) RETURNING ${COLUMNS}`,
};

type Body<T> = (client: pg.PoolClient) => Promise<T>;

async function sequential<T>(client: pg.PoolClient, p: Principal, fn: Body<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(SQL.begin, [p.tenantId, p.userId]);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** `single`: fn sends exactly one statement before its first await, so COMMIT can follow at once. */
async function pipelined<T>(client: pg.PoolClient, p: Principal, fn: Body<T>, single: boolean): Promise<T> {
  const head: Promise<unknown>[] = [client.query('BEGIN'), client.query(SQL.begin, [p.tenantId, p.userId])];
  const body = fn(client);
  if (single) head.push(client.query('COMMIT'));
  const settled = await Promise.allSettled([...head, body]);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    // A failed statement aborts the transaction; a pipelined COMMIT then ends it as ROLLBACK.
    if (!single) await client.query('ROLLBACK').catch(() => undefined);
    throw failed.reason;
  }
  if (!single) await client.query('COMMIT');
  return (settled.at(-1) as PromiseFulfilledResult<T>).value;
}

async function inTenant<T>(p: Principal, fn: Body<T>, single = false): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await (PIPELINE ? pipelined(client, p, fn, single) : sequential(client, p, fn));
  } catch (err) {
    // A database or HTTP error was rolled back cleanly; anything else may have left the connection unusable.
    if (!(err instanceof pg.DatabaseError || err instanceof HttpError)) broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

const app = await createBenchApp();

app.get('/api/v1/students', async (c) => {
  const p = c.get('principal');
  const { limit, after, q } = pageQuery(c);
  const { rows } = await inTenant(
    p,
    (db) => {
      if (q) {
        // Tenantry's own search statement (the trigram table), as a hand-written server would send it.
        const search = studentSearchSql(p.tenantId, { limit: limit + 1, after, q });
        return db.query<StudentRow>(
          `SELECT s.id, s."studentNo", s."firstName", s."lastName", s.email, s."dateOfBirth"::text AS "dateOfBirth",
                  s.active, s."createdAt", s."updatedAt" FROM (${search.text}) s ORDER BY s.id`,
          search.values,
        );
      }
      return after
        ? db.query<StudentRow>(SQL.listAfter, [p.tenantId, limit + 1, after])
        : db.query<StudentRow>(SQL.list, [p.tenantId, limit + 1]);
    },
    true,
  );
  return c.json(toPage(rows, limit), 200);
});

app.get('/api/v1/students/:id', async (c) => {
  const p = c.get('principal');
  const id = c.req.param('id');
  if (!UUID.test(id)) throw new HttpError(400, 'validation_failed', 'id must be a UUID');
  const { rows } = await inTenant(p, (db) => db.query<StudentRow>(SQL.get, [p.tenantId, id]), true);
  if (!rows[0]) throw new HttpError(404, 'not_found', 'student not found');
  return c.json(toDto(rows[0]), 200);
});

app.post('/api/v1/students', async (c) => {
  const p = c.get('principal');
  assertWriter(p);
  const input = await readStudentInput(c);
  const row = await inTenant(p, async (db) => {
    // The same race-safe quota check Tenantry's StudentService runs before every insert.
    const quota = await db.query<{ plan: string; limits: unknown; used: number }>(SQL.quota, [p.tenantId]);
    const usage = quota.rows[0] ?? { plan: 'basic', limits: { maxStudents: 0 }, used: 0 };
    const { maxStudents } = effectiveLimits(usage.plan, usage.limits);
    if (usage.used + 1 > maxStudents) throw new HttpError(403, 'quota_exceeded', 'quota exceeded');
    try {
      const { rows } = await db.query<StudentRow>(SQL.insert, [
        p.tenantId,
        uuidv7(),
        input.studentNo,
        input.firstName,
        input.lastName,
        input.email ?? null,
        input.dateOfBirth ?? null,
        input.active ?? true,
      ]);
      return rows[0] as StudentRow;
    } catch (err) {
      if (err instanceof pg.DatabaseError && err.code === '23505') throw new HttpError(409, 'conflict', 'duplicate');
      throw err;
    }
  });
  return c.json(toDto(row), 201);
});

listen(app, () => pool.end());
process.stderr.write(`raw${PIPELINE ? ' (pipelined)' : ''} listening on ${config.host}:${config.port}\n`);
