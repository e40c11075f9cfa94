import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { asPlatform, expectProblem, readJson } from '../support/http-fixtures.js';
import { exportText, importText, linesOf, populatedTenant, withoutExportAudits } from '../support/transfer-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const slug = () => `clone-${crypto.randomUUID().slice(0, 8)}`;
type Line = ReturnType<typeof linesOf>[number];
const rows = (lines: Line[], table: string) => lines.filter((l) => l.table === table).map((l) => l.row!);

describe('tenant import as a clone', () => {
  it('when an export is imported with mode=clone, then a new tenant lives beside its source with every id remapped consistently', async () => {
    const { tenant, staff } = await populatedTenant(h, { students: 20 });
    const source = await exportText(h, tenant, { credentials: true });
    const cloneSlug = slug();
    const res = await importText(h, source, h.platformToken, `?mode=clone&slug=${cloneSlug}&name=Copy`);
    expect(res.status).toBe(201);
    const body = await readJson<{ tenant: { id: string; slug: string; name: string }; mode: string }>(res);
    expect(body.mode).toBe('clone');
    expect(body.tenant).toMatchObject({ slug: cloneSlug, name: 'Copy', plan: 'premium' });
    expect(body.tenant.id).not.toBe(tenant.id);

    // The source is untouched.
    expect(withoutExportAudits(await exportText(h, tenant, { credentials: true }))).toBe(withoutExportAudits(source));

    const a = linesOf(source);
    const b = linesOf(await exportText(h, { id: body.tenant.id }, { credentials: true }));
    // Ids of platform admins (audit actors) are not the tenant's and stay, and so do the ids of
    // the requests audit entries name (they point at the server's logs); every other id is new.
    const platformIds = new Set([
      ...rows(a, 'audit_log')
        .map((r) => r.actorId as string)
        .filter((id) => id && !rows(a, 'users').some((u) => u.id === id)),
      ...rows(a, 'audit_log').map((r) => r.requestId as string),
    ]);
    const sourceIds = new Set([...JSON.stringify(a).matchAll(UUID)].map((m) => m[0]));
    const cloneIds = new Set([...JSON.stringify(b).matchAll(UUID)].map((m) => m[0]));
    expect([...cloneIds].filter((id) => sourceIds.has(id) && !platformIds.has(id))).toEqual([]);

    for (const table of [
      'tenant_settings',
      'users',
      'students',
      'courses',
      'enrollments',
      'domain_events',
      'audit_log',
    ]) {
      expect(rows(b, table)).toHaveLength(rows(a, table).length);
    }
    // Same rows, in the same order, once the ids are taken out.
    const strip = (r: Record<string, unknown>) =>
      JSON.parse(JSON.stringify(r).replace(UUID, 'ID').replace(tenant.slug, 'SLUG').replace(cloneSlug, 'SLUG'));
    for (const table of ['users', 'students', 'courses', 'enrollments']) {
      expect(rows(b, table).map(strip)).toEqual(rows(a, table).map(strip));
    }
    // References follow the remapping: the enrolled student and course are the clone's own.
    const idOf = (lines: Line[], table: string, key: string, value: unknown) =>
      rows(lines, table).find((r) => r[key] === value)!.id;
    const [ea] = rows(a, 'enrollments');
    const [eb] = rows(b, 'enrollments');
    const studentNo = rows(a, 'students').find((s) => s.id === ea!.studentId)!.studentNo;
    const code = rows(a, 'courses').find((c) => c.id === ea!.courseId)!.code;
    expect(eb).toMatchObject({
      studentId: idOf(b, 'students', 'studentNo', studentNo),
      courseId: idOf(b, 'courses', 'code', code),
    });
    const [event] = rows(b, 'domain_events');
    expect(event!.payload).toMatchObject({ tenantId: body.tenant.id, slug: cloneSlug });

    // Its users log in under the new slug and see their own data; the source's ids are 404 there.
    const login = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: cloneSlug, email: staff.email, password: staff.password },
    });
    expect(login.status).toBe(200);
    const { accessToken } = await readJson<{ accessToken: string }>(login);
    const list = await readJson<{ data: { id: string }[] }>(
      await h.request('GET', '/api/v1/students?limit=100', { token: accessToken }),
    );
    expect(list.data.map((s) => s.id)).toEqual(rows(b, 'students').map((s) => s.id));
    const sourceStudent = rows(a, 'students')[0]!.id as string;
    expect((await h.request('GET', `/api/v1/students/${sourceStudent}`, { token: accessToken })).status).toBe(404);
    expect((await h.request('GET', `/api/v1/students/${sourceStudent}`, { token: tenant.token })).status).toBe(200);
  });

  it('when the same export is cloned twice, then each clone gets ids of its own', async () => {
    const { tenant } = await populatedTenant(h);
    const source = await exportText(h, tenant);
    const first = await readJson<{ tenant: { id: string } }>(
      await importText(h, source, h.platformToken, `?mode=clone&slug=${slug()}`),
    );
    const second = await readJson<{ tenant: { id: string } }>(
      await importText(h, source, h.platformToken, `?mode=clone&slug=${slug()}`),
    );
    const idsOf = async (id: string) => rows(linesOf(await exportText(h, { id })), 'students').map((s) => s.id);
    const [x, y] = [await idsOf(first.tenant.id), await idsOf(second.tenant.id)];
    expect(x).toHaveLength(3);
    expect(x.filter((id) => y.includes(id))).toEqual([]);
  });

  it('when a clone names a taken slug, no slug, a bad slug, or a restore names a slug, then 409 / 400 and nothing is written', async () => {
    const { tenant } = await populatedTenant(h);
    const other = await h.createTenant();
    const source = await exportText(h, tenant);
    const tenantCount = () => asPlatform(h, (tx) => tx.tenant.count());
    const before = await tenantCount();
    await expectProblem(
      await importText(h, source, h.platformToken, `?mode=clone&slug=${other.slug}`),
      409,
      'conflict',
    );
    await expectProblem(await importText(h, source, h.platformToken, '?mode=clone'), 400, 'validation_failed');
    await expectProblem(
      await importText(h, source, h.platformToken, '?mode=clone&slug=Not_A_Slug'),
      400,
      'validation_failed',
    );
    await expectProblem(await importText(h, source, h.platformToken, `?slug=${slug()}`), 400, 'validation_failed');
    await expectProblem(
      await importText(h, source, h.platformToken, `?mode=clone&slug=${slug()}&tenantId=${other.id}`),
      400,
      'validation_failed',
    );
    expect(await tenantCount()).toBe(before);
  });
});
