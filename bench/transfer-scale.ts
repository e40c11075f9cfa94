import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { freePort } from './lib/database.js';
import { type ServerProcess, startServer } from './lib/processes.js';
import { type Check, isMain, runStandalone, type ScaleContext, type ScaleSection, withClient } from './lib/scale-db.js';

/**
 * Export and import at scale, through the real server over HTTP: one tenant with N students
 * (plus users, courses and one enrollment per student) is exported to a file and imported
 * back as a clone, each size on a freshly started server, so the server's peak RSS (VmHWM)
 * belongs to that size alone. Constant memory means the peak does not grow with N.
 *
 * Each size runs twice: with V8's default heap, and with the old generation capped
 * (`--max-old-space-size`, `--heap-cap MB`, default 128). V8 lets garbage pile up before a
 * full collection and grows its heap with the allocation rate, so the default peak also
 * measures how long a run allocates; the capped run shows what the work keeps alive — a
 * transfer that held rows in memory would fail under the cap or push its peak up with N.
 */

const ADMIN = { email: 'transfer-bench@example.com', password: 'transfer-bench-password-1' };

interface SizeResult {
  students: number;
  /** The server's old-generation cap in MB, or null for V8's default. */
  heapCapMb: number | null;
  rows: number;
  bytes: number;
  exportS: number;
  importS: number;
  exportRowsPerS: number;
  importRowsPerS: number;
  rssStartMb: number;
  peakAfterExportMb: number;
  peakAfterImportMb: number;
}

async function api<T>(base: string, method: string, path: string, token?: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token && { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Rows written as the runtime login in the tenant's own context, with set-based inserts. */
async function seed(runtimeUrl: string, tenantId: string, students: number): Promise<void> {
  const courses = Math.max(10, Math.floor(students / 100));
  await withClient(runtimeUrl, async (c) => {
    await c.query('BEGIN');
    await c.query('SELECT app.begin_request($1::uuid, NULL)', [tenantId]);
    await c.query('SET LOCAL statement_timeout = 0');
    await c.query(
      `INSERT INTO users (tenant_id, id, email, name, role, password_hash)
       SELECT $1, gen_random_uuid(), 'user' || i || '@bench.test', 'User ' || i, 'staff', '!' FROM generate_series(1, 50) i`,
      [tenantId],
    );
    await c.query(
      `INSERT INTO students (tenant_id, id, student_no, first_name, last_name, email, date_of_birth)
       SELECT $1, gen_random_uuid(), 'S' || lpad(i::text, 7, '0'), 'First' || i, 'Last' || i,
              's' || i || '@bench.test', date '2008-01-01' + (i % 1500)
         FROM generate_series(1, $2::int) i`,
      [tenantId, students],
    );
    await c.query(
      `INSERT INTO courses (tenant_id, id, code, title)
       SELECT $1, gen_random_uuid(), 'C' || i, 'Course ' || i FROM generate_series(1, $2::int) i`,
      [tenantId, courses],
    );
    await c.query(
      `INSERT INTO enrollments (tenant_id, course_id, student_id)
       SELECT $1, c.id, s.id
         FROM (SELECT id, row_number() OVER (ORDER BY id) % $2 AS k FROM students WHERE tenant_id = $1) s
         JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM courses WHERE tenant_id = $1) c USING (k)`,
      [tenantId, courses],
    );
    await c.query('COMMIT');
  });
}

async function measureSize(
  ctx: ScaleContext,
  students: number,
  heapCapMb: number | null,
  dir: string,
): Promise<SizeResult> {
  const server: ServerProcess = await startServer({
    name: `tenantry-${students}`,
    script: 'src/server.ts',
    nodeArgs: heapCapMb ? [`--max-old-space-size=${heapCapMb}`] : [],
    port: await freePort(),
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: ctx.runtimeUrl,
      DATABASE_ADMIN_URL: ctx.adminUrl,
      DATABASE_PLATFORM_URL: ctx.platformUrl,
      DATA_DIR: dir,
      PLATFORM_ADMIN_EMAIL: ADMIN.email,
      PLATFORM_ADMIN_PASSWORD: ADMIN.password,
    },
  });
  try {
    const base = server.baseUrl;
    const { accessToken: token } = await api<{ accessToken: string }>(
      base,
      'POST',
      '/api/v1/auth/platform/login',
      undefined,
      ADMIN,
    );
    const slug = `scale-${students}-${heapCapMb ?? 'v8'}-${Date.now().toString(36)}`;
    const { tenant } = await api<{ tenant: { id: string } }>(base, 'POST', '/api/v1/tenants', token, {
      name: `Scale ${students}`,
      slug,
      plan: 'enterprise',
      admin: { email: 'admin@bench.test', password: 'bench-tenant-password-1', name: 'Admin' },
    });
    const label = `${students} (heap ${heapCapMb ? `${heapCapMb} MB` : 'default'})`;
    ctx.log(`${label}: seeding`);
    await seed(ctx.runtimeUrl, tenant.id, students);
    const rssStartMb = server.memory()?.rssMb ?? Number.NaN;

    const file = join(dir, `export-${students}.ndjson`);
    ctx.log(`${label}: exporting`);
    let started = performance.now();
    const res = await fetch(`${base}/api/v1/tenants/${tenant.id}/export`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!res.ok || !res.body) throw new Error(`export: ${res.status} ${await res.text()}`);
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(file));
    const exportS = (performance.now() - started) / 1000;
    const peakAfterExportMb = server.memory()?.hwmMb ?? Number.NaN;
    const bytes = statSync(file).size;

    ctx.log(`${label}: importing ${(bytes / 1024 / 1024).toFixed(1)} MB as a clone`);
    started = performance.now();
    const imported = await fetch(`${base}/api/v1/tenants/import?mode=clone&slug=${slug}-clone`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
      body: Readable.toWeb(createReadStream(file, { highWaterMark: 64 * 1024 })) as never,
      duplex: 'half',
    } as RequestInit);
    const result = (await imported.json()) as { counts?: Record<string, number> };
    if (imported.status !== 201 || !result.counts)
      throw new Error(`import: ${imported.status} ${JSON.stringify(result)}`);
    const importS = (performance.now() - started) / 1000;
    const peakAfterImportMb = server.memory()?.hwmMb ?? Number.NaN;
    const rows = Object.values(result.counts).reduce((a, b) => a + b, 0) + 1; // + the tenant itself
    rmSync(file, { force: true });
    return {
      students,
      heapCapMb,
      rows,
      bytes,
      exportS,
      importS,
      exportRowsPerS: rows / exportS,
      importRowsPerS: rows / importS,
      rssStartMb,
      peakAfterExportMb,
      peakAfterImportMb,
    };
  } finally {
    await server.stop();
  }
}

function heapCapArg(): number {
  const at = process.argv.indexOf('--heap-cap');
  const value = at > 0 ? Number(process.argv[at + 1]) : 128;
  if (!Number.isInteger(value) || value < 32) throw new Error('--heap-cap takes a size in MB (at least 32)');
  return value;
}

export async function run(ctx: ScaleContext): Promise<ScaleSection> {
  const sizes = ctx.quick ? [1_000, 10_000] : [10_000, 100_000];
  const cap = heapCapArg();
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-transfer-'));
  try {
    const results: SizeResult[] = [];
    for (const heap of [null, cap]) for (const n of sizes) results.push(await measureSize(ctx, n, heap, dir));
    const growthOf = (heap: number | null) => {
      const [small, large] = results.filter((r) => r.heapCapMb === heap) as [SizeResult, SizeResult];
      const peak = (r: SizeResult) => Math.max(r.peakAfterExportMb, r.peakAfterImportMb);
      return { small, large, growth: peak(large) / peak(small), peak };
    };
    const capped = growthOf(cap);
    const uncapped = growthOf(null);
    const checks: Check[] = [
      {
        name: `peak server RSS does not grow with tenant size (old generation capped at ${cap} MB)`,
        pass: capped.growth <= 1.25,
        detail: `${capped.large.students} students: ${capped.peak(capped.large)} MB vs ${capped.small.students}: ${capped.peak(capped.small)} MB (${capped.growth.toFixed(2)}×)`,
      },
    ];
    const f = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
    const markdown = [
      'One tenant (50 users, N students, N/100 courses, one enrollment per student) exported over HTTP to a file and imported back as a clone (`mode=clone`), each size on a freshly started server; rows include the tenant, its settings, events and audit entries. Peak RSS is the server process’s VmHWM. Each size runs with V8’s default heap and with the old generation capped (`--max-old-space-size`): the default peak includes the garbage V8 lets pile up before a full collection, the capped one shows what the transfer keeps alive.',
      '',
      '| heap | students | rows | export MB | export s | export rows/s | import s | import rows/s | server RSS before | peak RSS after export | peak RSS after import |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.map(
        (r) =>
          `| ${r.heapCapMb ? `${r.heapCapMb} MB cap` : 'default'} | ${f(r.students)} | ${f(r.rows)} | ${f(r.bytes / 1024 / 1024, 1)} | ${f(r.exportS, 1)} | ${f(r.exportRowsPerS)} | ${f(r.importS, 1)} | ${f(r.importRowsPerS)} | ${r.rssStartMb} MB | ${r.peakAfterExportMb} MB | ${r.peakAfterImportMb} MB |`,
      ),
      '',
      `Peak RSS ${f(capped.large.students)} vs ${f(capped.small.students)} students, old generation capped at ${cap} MB: ${capped.growth.toFixed(2)}× for ${f(capped.large.rows / capped.small.rows, 1)}× the rows; with the default heap: ${uncapped.growth.toFixed(2)}×.`,
    ].join('\n');
    return { title: 'Tenant export and import at scale', markdown, json: { checks, heapCapMb: cap, results } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runStandalone(run);
