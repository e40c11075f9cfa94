import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/context.js';
import { parseOrAnswer, runCommand } from '../../src/cli/run.js';
import { createHarness, type Harness, randomSlug } from '../support/harness.js';
import { asPlatform } from '../support/http-fixtures.js';
import { populatedTenant } from '../support/transfer-fixtures.js';

let h: Harness;
let dir: string;
beforeAll(async () => {
  h = await createHarness();
  dir = mkdtempSync(join(tmpdir(), 'tenantry-cli-'));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await h.close();
});

/** Runs the CLI in this process on the harness's services, as its platform admin. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => {
    const s = new PassThrough();
    s.on('data', (c: Buffer) => into.push(c.toString('utf8')));
    return s;
  };
  const io: CliIo = { stdout: sink(out), stderr: sink(err), stdin: Readable.from([]) };
  const parsed = parseOrAnswer(io, argv);
  const code =
    typeof parsed === 'number'
      ? parsed
      : await runCommand({ services: h.services, adminId: h.platformAdminId, io, reason: parsed.reason }, parsed);
  return { code, stdout: out.join(''), stderr: err.join('') };
}
const json = <T>(r: { stdout: string }) => JSON.parse(r.stdout) as T;

describe('the tenant CLI', () => {
  it('when an operator acts on a tenant with --reason, then its audit log records it as the API would, and a bad reason changes nothing', async () => {
    const t = await h.createTenant();
    const suspended = await cli('suspend', t.id, '--reason', 'Ticket 9: unpaid', '--json');
    expect(suspended.code).toBe(0);
    const entries = await asPlatform(h, (tx) =>
      tx.auditEntry.findMany({ where: { tenantId: t.id, action: 'tenant.suspended' } }),
    );
    expect(entries).toEqual([
      expect.objectContaining({
        actorId: h.platformAdminId,
        actorType: 'platform_admin',
        targetType: 'tenant',
        targetId: t.id,
        reason: 'Ticket 9: unpaid',
        requestId: null,
      }),
    ]);
    const refused = await cli('reactivate', t.id, '--reason', 'tab\there');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/validation_failed/);
    const status = await asPlatform(h, (tx) => tx.tenant.findUnique({ where: { id: t.id }, select: { status: true } }));
    expect(status?.status).toBe('suspended');
  });

  it('when an operator creates, shows, suspends, reactivates and deletes a tenant, then each command acts through the services', async () => {
    const slug = randomSlug('cli');
    const created = await cli(
      'create',
      '--name',
      'CLI School',
      '--slug',
      slug,
      '--admin-email',
      'a@cli.test',
      '--plan',
      'premium',
      '--json',
    );
    expect(created.code).toBe(0);
    const { tenant, generatedPassword } = json<{ tenant: { id: string; plan: string }; generatedPassword: string }>(
      created,
    );
    expect(tenant.plan).toBe('premium');
    const login = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: slug, email: 'a@cli.test', password: generatedPassword },
    });
    expect(login.status).toBe(200);

    expect(json<{ id: string }>(await cli('show', slug, '--json')).id).toBe(tenant.id);
    expect((await cli('list', '--json')).stdout).toContain(slug);
    expect((await cli('suspend', slug)).stdout).toBe(`${slug}: suspended\n`);
    const again = await cli('suspend', tenant.id);
    expect(again).toMatchObject({ code: 1, stderr: expect.stringContaining('invalid_transition') });
    expect((await cli('reactivate', slug, '--json')).code).toBe(0);
    expect(json<{ usage: Record<string, number> }>(await cli('usage', slug, '--json')).usage).toMatchObject({
      users: 1,
      students: 0,
    });

    expect(await cli('delete', slug)).toMatchObject({ code: 2, stderr: expect.stringContaining('--yes') });
    expect((await cli('delete', slug, '--yes')).code).toBe(0);
    // A soft delete: the tenant is kept, deleted, until restored or purged.
    const deleted = await h.request('GET', `/api/v1/tenants/${tenant.id}`, { token: h.platformToken });
    expect(await deleted.json()).toMatchObject({ status: 'deleted' });

    // Restore by slug (a deleted tenant is found too), then delete and purge for good.
    expect((await cli('restore', slug)).stdout).toBe(`${slug}: active\n`);
    expect((await cli('delete', slug, '--yes')).code).toBe(0);
    expect(await cli('purge', slug)).toMatchObject({ code: 2, stderr: expect.stringContaining('--yes') });
    const purged = json<{ tenantId: string; counts: Record<string, number> }>(
      await cli('purge', slug, '--yes', '--json'),
    );
    expect(purged).toMatchObject({ tenantId: tenant.id, counts: { users: 1 } });
    const gone = await h.request('GET', `/api/v1/tenants/${tenant.id}`, { token: h.platformToken });
    expect(gone.status).toBe(404);
  });

  it('when a tenant is exported to a file and imported as a clone, then the clone holds the same rows; a truncated file is refused', async () => {
    const { tenant } = await populatedTenant(h, { students: 30 });
    const file = join(dir, 'export.ndjson');
    const exported = await cli('export', tenant.slug, '--out', file, '--progress', '--json');
    expect(exported.code).toBe(0);
    expect(exported.stderr).toMatch(/export \[#+\] 100%/);
    const text = readFileSync(file, 'utf8');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^\{"type":"tenantry-export-end"/);

    const cloneSlug = randomSlug('clone');
    const imported = await cli('import', file, '--clone', '--slug', cloneSlug, '--json');
    expect(imported.code).toBe(0);
    const result = json<{ tenant: { id: string }; counts: Record<string, number>; mode: string }>(imported);
    expect(result).toMatchObject({ mode: 'clone', counts: { students: 31, courses: 2, enrollments: 1 } });
    const students = await asPlatform(h, (tx) => tx.student.count({ where: { tenantId: result.tenant.id } }));
    expect(students).toBe(31);

    const cut = join(dir, 'cut.ndjson');
    writeFileSync(cut, text.split('\n').slice(0, 10).join('\n'));
    const refused = await cli('import', cut, '--clone', '--slug', randomSlug('cut'));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/validation_failed: .*truncated/);
  });

  it('when help is asked for, or a command is misused, then usage goes out without touching the database', async () => {
    const overview = await cli('--help');
    expect(overview.code).toBe(0);
    for (const name of [
      'create',
      'list',
      'show',
      'suspend',
      'reactivate',
      'delete',
      'restore',
      'purge',
      'export',
      'import',
      'usage',
      'rotate-key',
      'revoke-keys',
    ]) {
      expect(overview.stdout).toContain(`  ${name}`);
      const help = await cli(name, '--help');
      expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining(`npm run tenant -- ${name}`) });
    }
    expect((await cli('create', '--help')).stdout).toContain('--plan is one of basic, premium, enterprise, custom');
    expect(
      await cli('create', '--name', 'x', '--slug', 'x', '--admin-email', 'a@x.test', '--plan', 'gold'),
    ).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--plan must be one of basic, premium, enterprise, custom'),
    });
    expect(await cli('frobnicate')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("unknown command 'frobnicate'"),
    });
    expect(await cli('list', '--bogus')).toMatchObject({ code: 2 });
    expect(await cli('import', 'x', '--slug', 'y')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--clone'),
    });
  });

  it('when the CLI runs as its own process, then it connects like the server and answers in JSON', () => {
    const env = {
      ...process.env,
      DATABASE_URL: h.db.runtimeUrl,
      DATABASE_ADMIN_URL: h.db.adminUrl,
      DATABASE_PLATFORM_URL: h.db.platformUrl,
      DATA_DIR: dir,
      PLATFORM_ADMIN_EMAIL: h.platformEmail,
      PLATFORM_ADMIN_PASSWORD: 'platform-password-1',
      LOG_LEVEL: 'warn',
    };
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/tenant.ts', 'list', '--json'], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(Array.isArray(JSON.parse(run.stdout))).toBe(true);
  }, 150_000);
});
