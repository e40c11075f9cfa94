import { serve } from '@hono/node-server';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { importJWK, type JWK, jwtVerify } from 'jose';
import { z } from 'zod';

// Shared by the baseline servers (raw.ts, naive.ts): the same token checks, input schema and
// JSON shape as Tenantry, so the only difference left between the three is the data path.

export interface Principal {
  tenantId: string;
  userId: string;
  role: string;
}

export type BenchEnv = { Variables: { principal: Principal } };

export const config = {
  port: Number(process.env.PORT ?? 3001),
  host: process.env.HOST ?? '127.0.0.1',
  databaseUrl: process.env.DATABASE_URL ?? '',
  poolSize: Number(process.env.DB_POOL_SIZE ?? 10),
  statementTimeoutMs: Number(process.env.DB_STATEMENT_TIMEOUT_MS ?? 15000),
  issuer: process.env.JWT_ISSUER ?? 'tenantry',
  audience: process.env.JWT_AUDIENCE ?? 'tenantry-api',
  ttlSeconds: Number(process.env.ACCESS_TOKEN_TTL_SECONDS ?? 900),
  publicJwk: process.env.JWT_PUBLIC_JWK ?? '',
};

/** The same pool settings as src/db/client.ts. */
export const poolConfig = () => ({
  connectionString: config.databaseUrl,
  max: config.poolSize,
  connectionTimeoutMillis: 5000,
  statement_timeout: config.statementTimeoutMs,
  idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
});

export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function problem(c: Context, err: unknown): Response {
  const e = err instanceof HttpError ? err : new HttpError(500, 'internal_error', 'an unexpected error occurred');
  if (e.status === 500) process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return c.json(
    { type: `urn:tenantry:problem:${e.code}`, title: e.code, status: e.status, detail: e.message, code: e.code },
    e.status,
    {
      'content-type': 'application/problem+json',
    },
  );
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;
const CLOCK_TOLERANCE_S = 5;

/** Verifies tokens with exactly the options src/services/tokens.ts uses. */
export async function tokenVerifier(): Promise<(header: string | undefined) => Promise<Principal>> {
  const key = await importJWK(JSON.parse(config.publicJwk) as JWK, 'EdDSA');
  return async (header) => {
    const token = BEARER.exec(header ?? '')?.[1];
    if (!token) throw new HttpError(401, 'unauthorized', 'a Bearer access token is required');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['EdDSA'],
        issuer: config.issuer,
        audience: config.audience,
        typ: 'at+jwt',
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
        maxTokenAge: config.ttlSeconds + CLOCK_TOLERANCE_S,
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch {
      throw new HttpError(401, 'unauthorized', 'invalid token');
    }
    const { tid, sub, role } = payload;
    if (typeof tid !== 'string' || typeof sub !== 'string' || typeof role !== 'string') {
      throw new HttpError(403, 'forbidden', 'this route is for tenant users');
    }
    return { tenantId: tid, userId: sub, role };
  };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const StudentCreate = z.strictObject({
  studentNo: z.string().trim().min(1).max(64),
  firstName: z.string().trim().min(1).max(100),
  lastName: z.string().trim().min(1).max(100),
  email: z.email().max(254).nullable().optional(),
  dateOfBirth: z.iso.date().nullable().optional(),
  active: z.boolean().optional(),
});
export type StudentInput = z.infer<typeof StudentCreate>;

export async function readStudentInput(c: Context): Promise<StudentInput> {
  const parsed = StudentCreate.safeParse(await c.req.json().catch(() => undefined));
  if (!parsed.success) throw new HttpError(400, 'validation_failed', parsed.error.message);
  return parsed.data;
}

export function assertWriter(p: Principal): void {
  if (p.role !== 'tenant_admin' && p.role !== 'staff') throw new HttpError(403, 'forbidden', 'forbidden');
}

/** ?limit (1..100, default 20) and the opaque cursor (base64url of the last id), as Tenantry. */
export function pageQuery(c: Context): { limit: number; after?: string; q?: string } {
  const raw = c.req.query('limit');
  const limit = raw === undefined ? 20 : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new HttpError(400, 'validation_failed', 'bad limit');
  const q = c.req.query('q');
  if (q !== undefined && (q.length < 3 || q.length > 100)) {
    throw new HttpError(400, 'validation_failed', 'q: 3 to 100 characters here');
  }
  const cursor = c.req.query('cursor');
  if (cursor === undefined) return { limit, q };
  const after = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!UUID.test(after)) throw new HttpError(400, 'validation_failed', 'invalid cursor');
  return { limit, after, q };
}

export interface StudentRow {
  id: string;
  studentNo: string;
  firstName: string;
  lastName: string;
  email: string | null;
  /** A Date at UTC midnight (Prisma) or already 'YYYY-MM-DD' (raw SQL). */
  dateOfBirth: Date | string | null;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const toDto = (s: StudentRow) => ({
  id: s.id,
  studentNo: s.studentNo,
  firstName: s.firstName,
  lastName: s.lastName,
  email: s.email,
  dateOfBirth: s.dateOfBirth instanceof Date ? s.dateOfBirth.toISOString().slice(0, 10) : s.dateOfBirth,
  active: s.active,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

/** Rows were fetched with limit + 1, as Tenantry does, to know whether a next page exists. */
export function toPage(rows: StudentRow[], limit: number) {
  const more = rows.length > limit;
  const slice = more ? rows.slice(0, limit) : rows;
  const last = slice.at(-1);
  return {
    data: slice.map(toDto),
    nextCursor: more && last ? Buffer.from(last.id, 'utf8').toString('base64url') : null,
  };
}

/** The app shell: health, auth on /api/v1/*, errors as problem+json; then listen. */
export async function createBenchApp(): Promise<Hono<BenchEnv>> {
  const verify = await tokenVerifier();
  const app = new Hono<BenchEnv>();
  app.onError((err, c) => problem(c, err));
  app.get('/health/live', (c) => c.json({ status: 'ok' }));
  app.use('/api/v1/*', async (c, next) => {
    c.set('principal', await verify(c.req.header('authorization')));
    await next();
  });
  return app;
}

export function listen(app: Hono<BenchEnv>, close: () => Promise<void>): void {
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  const shutdown = () => {
    server.close();
    void close().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
