import { describe, expect, it } from 'vitest';
import { openAttackWorld, tenantChecksum, type World } from '../../support/attack-fixtures.js';
import { documentedOperations, isTenantWrite, type Prepared, TENANT_WRITES } from '../../support/attack-routes.js';
import { bearerOf } from '../../support/attack-server.js';
import { expectProblem, studentInput } from '../../support/http-fixtures.js';

const { h, srv, worlds } = await openAttackWorld(2);
const [a, b] = worlds as [World, World];

const both = async () => [await tenantChecksum(h, a.tenant.id), await tenantChecksum(h, b.tenant.id)];
/** Anything of B's that must never show up in an answer to A. */
const bMarks = () => [b.tenant.id, b.tenant.slug, b.student.id, b.student.studentNo, b.course.id, b.staff.id];

describe('headers naming another tenant', () => {
  const attempts = [
    ['GET', '/api/v1/students', undefined],
    ['POST', '/api/v1/students', studentInput()],
    ['GET', '/api/v1/tenant', undefined],
    ['PATCH', '/api/v1/tenant/settings', { timezone: 'Asia/Tokyo' }],
  ] as const;
  for (const [header, value] of [
    ['x-tenant-id', () => b.tenant.id],
    ['x-tenant-slug', () => b.tenant.slug],
    ['x-tenant-id', () => b.tenant.id.toUpperCase()],
  ] as const) {
    it(`when ${header} names another tenant, then every route is 403 tenant_mismatch and nothing is written`, async () => {
      const before = await both();
      for (const [method, path, body] of attempts) {
        const res = await srv.call(method, path, { token: a.tenant.token, body, headers: { [header]: value() } });
        await expectProblem(res, 403, 'tenant_mismatch');
      }
      expect(await both()).toEqual(before);
    });
  }

  it('when X-Tenant-Id is the own tenant but X-Tenant-Slug names another, then 403 tenant_mismatch', async () => {
    const headers = { 'x-tenant-id': a.tenant.id, 'x-tenant-slug': b.tenant.slug };
    await expectProblem(
      await srv.call('GET', '/api/v1/students', { token: a.tenant.token, headers }),
      403,
      'tenant_mismatch',
    );
  });
});

describe('host and subdomain naming another tenant', () => {
  for (const host of [
    (w: World) => `${w.tenant.slug}.tenantry.test`,
    (w: World) => `${w.tenant.slug}.localhost:3000`,
    (w: World) => w.tenant.id,
  ]) {
    it(`when Host is "${host({ tenant: { slug: '<B>', id: '<B id>' } } as World)}", then A still sees only its own data`, async () => {
      const headers = { ...bearerOf(a.tenant.token), host: host(b), 'x-forwarded-host': host(b) };
      const list = await srv.raw('GET', '/api/v1/students', { headers });
      expect(list.status).toBe(200);
      const ids = (JSON.parse(list.text) as { data: { id: string }[] }).data.map((s) => s.id);
      expect(ids).toContain(a.student.id);
      expect(ids).not.toContain(b.student.id);
      const me = await srv.raw('GET', '/api/v1/tenant', { headers });
      expect(JSON.parse(me.text)).toMatchObject({ id: a.tenant.id, slug: a.tenant.slug });
    });
  }
});

describe('paths naming another tenant', () => {
  const forbidden = [
    ['GET', (id: string) => `/api/v1/tenants/${id}`],
    ['PATCH', (id: string) => `/api/v1/tenants/${id}`],
    ['DELETE', (id: string) => `/api/v1/tenants/${id}`],
    ['POST', (id: string) => `/api/v1/tenants/${id}/suspend`],
    ['GET', (id: string) => `/api/v1/tenants/${id}/usage`],
  ] as const;
  for (const [method, path] of forbidden) {
    it(`when A's token calls ${method} ${path('<B>')}, then 403 and B is untouched`, async () => {
      const before = await both();
      const body = method === 'PATCH' ? { name: 'Owned' } : undefined;
      await expectProblem(await srv.call(method, path(b.tenant.id), { token: a.tenant.token, body }), 403, 'forbidden');
      expect(await both()).toEqual(before);
    });
  }

  // No route nests tenant data under a tenant id: such paths do not exist for anyone.
  for (const path of [
    (id: string) => `/api/v1/tenants/${id}/students`,
    (id: string) => `/api/v1/tenants/${id}/students/${id}`,
  ]) {
    it(`when A's token calls GET ${path('<B>')}, then 404 (no such route) and B is untouched`, async () => {
      const before = await both();
      await expectProblem(await srv.call('GET', path(b.tenant.id), { token: a.tenant.token }), 404, 'not_found');
      expect(await both()).toEqual(before);
    });
  }

  it("when A's admin asks for B's export, then 404 like a missing tenant, not B's rows", async () => {
    await expectProblem(
      await srv.call('GET', `/api/v1/tenants/${b.tenant.id}/export`, { token: a.tenant.token }),
      404,
      'not_found',
    );
  });

  for (const path of [
    (id: string) => `/api/v1/students/../tenants/${id}`,
    (id: string) => `/api/v1/students/%2e%2e/tenants/${id}/export`,
    (id: string) => `/api/v1/tenants/${id}/..%2f..%2fstudents`,
    (id: string) => `//api/v1/tenants/${id}`,
    (id: string) => `/api/v1/tenants/${id}%2fexport`,
    (id: string) => `/API/V1/TENANTS/${id}`,
  ]) {
    it(`when the raw path is ${path('<B>')}, then no 2xx/5xx carries anything of B`, async () => {
      const res = await srv.raw('GET', path(b.tenant.id), { headers: bearerOf(a.tenant.token) });
      expect(res.status).toBeLessThan(500);
      for (const mark of bMarks()) expect(res.text).not.toContain(mark);
    });
  }
});

describe('tenantId / tenant_id in bodies and query strings of every write route', () => {
  it('when the OpenAPI document lists a tenant write route, then TENANT_WRITES covers it', async () => {
    const { ops } = await documentedOperations(srv);
    const writes = ops.filter((o) => isTenantWrite(o.method, o.path)).map((o) => `${o.method} ${o.path.slice(7)}`);
    const missing = writes.filter((w) => !(w in TENANT_WRITES));
    expect(missing, 'add these write routes to TENANT_WRITES in tests/support/attack-routes.ts').toEqual([]);
  });

  for (const [route, prepare] of Object.entries(TENANT_WRITES)) {
    for (const field of ['tenantId', 'tenant_id']) {
      const inject = (p: Prepared): Prepared => {
        if (!p.body) return p;
        if (p.path === '/students/bulk')
          return { ...p, body: { students: [{ ...studentInput(), [field]: b.tenant.id }] } };
        return { ...p, body: { ...p.body, [field]: b.tenant.id } };
      };
      const cases = [
        ['body', inject],
        ['query string', (p: Prepared) => ({ ...p, path: `${p.path}?${field}=${b.tenant.id}` })],
      ] as const;
      for (const [where, attack] of cases) {
        if (where === 'body' && route.startsWith('DELETE')) continue;
        it(`when ${route} carries ${field} of another tenant in the ${where}, then 400 and nothing is written`, async () => {
          const valid = await prepare(srv, a);
          const forged = attack(valid);
          const token = valid.token ?? a.tenant.token;
          const before = await both();
          const res = await srv.call(route.split(' ')[0] ?? '', `/api/v1${forged.path}`, { token, body: forged.body });
          await expectProblem(res, 400, 'validation_failed');
          expect(await both()).toEqual(before);
          // The same request without the field is accepted: the field alone was the reason.
          const clean = await srv.call(route.split(' ')[0] ?? '', `/api/v1${valid.path}`, { token, body: valid.body });
          expect(clean.status).toBeLessThan(300);
        });
      }
    }
  }
});
