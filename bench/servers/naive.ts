import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { effectiveLimits } from '../../src/domain/tenant/plans.js';
import { PrismaClient } from '../../src/generated/prisma/client.js';
import {
  assertWriter,
  config,
  createBenchApp,
  HttpError,
  listen,
  pageQuery,
  poolConfig,
  readStudentInput,
  toDto,
  toPage,
  UUID,
} from './common.js';

// The naive pattern, as tutorials and Prisma's own RLS example write it: every request opens an
// interactive $transaction whose first statement is set_config(..., true), then runs the
// Prisma query. Same token checks, queries and JSON as Tenantry.

const pool = new pg.Pool({ ...poolConfig(), application_name: 'bench-naive' });
pool.on('error', (err) => process.stderr.write(`pool error: ${err.message}\n`));
const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
// The same waits as Tenantry's runner, so a busy pool is not reported as an error by one side only.
const TX = { maxWait: 5000, timeout: 20000 } as const;

function inTenant<T>(
  tenantId: string,
  fn: (tx: Parameters<Parameters<typeof prisma.$transaction>[0]>[0]) => Promise<T>,
) {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT set_config('app.current_tenant_id', ${tenantId}, TRUE)`;
    return fn(tx);
  }, TX);
}

const app = await createBenchApp();

app.get('/api/v1/students', async (c) => {
  const { tenantId } = c.get('principal');
  const { limit, after, q } = pageQuery(c);
  // The tutorial's search: case-insensitive contains over the searched columns (an ILIKE scan).
  const contains = q && { contains: q.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' as const };
  const rows = await inTenant(tenantId, (tx) =>
    tx.student.findMany({
      where: {
        tenantId,
        ...(after && { id: { gt: after } }),
        ...(contains && {
          OR: [{ firstName: contains }, { lastName: contains }, { studentNo: contains }, { email: contains }],
        }),
      },
      orderBy: { id: 'asc' },
      take: limit + 1,
    }),
  );
  return c.json(toPage(rows, limit), 200);
});

app.get('/api/v1/students/:id', async (c) => {
  const { tenantId } = c.get('principal');
  const id = c.req.param('id');
  if (!UUID.test(id)) throw new HttpError(400, 'validation_failed', 'id must be a UUID');
  const row = await inTenant(tenantId, (tx) => tx.student.findUnique({ where: { tenantId_id: { tenantId, id } } }));
  if (!row) throw new HttpError(404, 'not_found', 'student not found');
  return c.json(toDto(row), 200);
});

app.post('/api/v1/students', async (c) => {
  const p = c.get('principal');
  assertWriter(p);
  const { dateOfBirth, ...input } = await readStudentInput(c);
  const { tenantId } = p;
  const row = await inTenant(tenantId, async (tx) => {
    // The same race-safe quota check Tenantry's StudentService runs before every insert.
    const [usage] = await tx.$queryRaw<{ plan: string; limits: unknown; used: number }[]>`
      SELECT plan, limits, used FROM app.lock_quota(${tenantId}::uuid, 'students')`;
    const { maxStudents } = effectiveLimits(usage?.plan ?? 'basic', usage?.limits ?? { maxStudents: 0 });
    if ((usage?.used ?? 0) + 1 > maxStudents) throw new HttpError(403, 'quota_exceeded', 'quota exceeded');
    try {
      return await tx.student.create({
        data: {
          ...input,
          ...(dateOfBirth !== undefined && { dateOfBirth: dateOfBirth && new Date(`${dateOfBirth}T00:00:00Z`) }),
          tenantId,
          id: uuidv7(),
        },
      });
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') throw new HttpError(409, 'conflict', 'duplicate');
      throw err;
    }
  });
  return c.json(toDto(row), 201);
});

listen(app, async () => {
  await prisma.$disconnect();
  await pool.end();
});
process.stderr.write(`naive listening on ${config.host}:${config.port}\n`);
