import { describe, expect, it } from 'vitest';
import { openAttackWorld, tenantChecksum } from '../../support/attack-fixtures.js';
import { documentedOperations, TENANT_WRITES } from '../../support/attack-routes.js';
import { expectProblem, studentInput } from '../../support/http-fixtures.js';

const { h, srv, worlds } = await openAttackWorld(1);
const w = worlds[0]!;

const unpolluted = () => {
  const probe = {} as Record<string, unknown>;
  expect([probe.polluted, Object.hasOwn(Object.prototype, 'polluted')]).toEqual([undefined, false]);
};

describe('prototype-pollution keys', () => {
  const valid = () => JSON.stringify(studentInput()).slice(1, -1);
  for (const [key, raw] of [
    ['__proto__', () => `{${valid()},"__proto__":{"polluted":"yes"}}`],
    ['constructor', () => `{${valid()},"constructor":{"prototype":{"polluted":"yes"}}}`],
    ['prototype', () => `{${valid()},"prototype":{"polluted":"yes"}}`],
  ] as const) {
    it(`when a create body carries "${key}", then 400 naming it as an unknown field and nothing is polluted`, async () => {
      const before = await tenantChecksum(h, w.tenant.id);
      const res = await srv.call('POST', '/api/v1/students', { token: w.tenant.token, body: raw() });
      const problem = await expectProblem(res, 400, 'validation_failed');
      expect(problem.errors).toContainEqual({ path: key, message: 'unknown field' });
      expect(await tenantChecksum(h, w.tenant.id)).toBe(before);
      unpolluted();
    });
  }

  it('when branding (a free-form record) carries "__proto__", then no 500 and nothing is polluted', async () => {
    for (const body of ['{"branding":{"__proto__":{"polluted":"yes"}}}', '{"branding":{"__proto__":"yes"}}']) {
      const res = await srv.call('PATCH', '/api/v1/tenant/settings', { token: w.tenant.token, body });
      expect([200, 400]).toContain(res.status);
      unpolluted();
    }
    const tenant = (await (await srv.call('GET', '/api/v1/tenant', { token: w.tenant.token })).json()) as {
      branding: object;
    };
    expect(JSON.stringify(tenant.branding)).not.toContain('polluted');
  });

  it('when the query string carries __proto__[polluted], then 400 and nothing is polluted', async () => {
    const res = await srv.call('GET', '/api/v1/students?__proto__[polluted]=yes&constructor[prototype][polluted]=yes', {
      token: w.tenant.token,
    });
    await expectProblem(res, 400, 'validation_failed');
    unpolluted();
  });
});

describe('negative and out-of-range numbers', () => {
  for (const capacity of [-1, -2147483648, 1.5, 2147483648, '10', Number.MAX_SAFE_INTEGER + 2]) {
    it(`when a course capacity is ${JSON.stringify(capacity)} on create or patch, then 400 and nothing is written`, async () => {
      const before = await tenantChecksum(h, w.tenant.id);
      const token = w.tenant.token;
      const create = await srv.call('POST', '/api/v1/courses', {
        token,
        body: { code: 'NEG-1', title: 't', capacity },
      });
      await expectProblem(create, 400, 'validation_failed');
      const patch = await srv.call('PATCH', `/api/v1/courses/${w.course.id}`, { token, body: { capacity } });
      await expectProblem(patch, 400, 'validation_failed');
      expect(await tenantChecksum(h, w.tenant.id)).toBe(before);
    });
  }
});

describe('pagination edge values on every tenant list route', () => {
  const EDGES = ['limit=0', 'limit=-1', 'limit=1e9', 'limit=', 'limit=abc', 'limit=1&limit=2', 'limit=5&limit=5'];
  const EDGE_CURSORS = ['cursor=', 'cursor=abc', 'cursor=a&cursor=b', `cursor=${'A'.repeat(500)}`];

  it('when any documented list route gets a bad limit or cursor, then 400 validation_failed', async () => {
    const { ops } = await documentedOperations(srv);
    const lists = ops.filter(
      (o) =>
        o.method === 'GET' &&
        o.op.parameters?.some((p) => p.name === 'limit') &&
        !/\/(tenants|events|admin\/stats)$/.test(o.path),
    );
    expect(lists.length).toBeGreaterThanOrEqual(5);
    for (const { path } of lists) {
      const url = path.replace('{id}', w.course.id);
      for (const qs of [...EDGES, ...EDGE_CURSORS]) {
        const res = await srv.call('GET', `${url}?${qs}`, { token: w.tenant.token });
        expect({ url, qs, status: res.status }).toEqual({ url, qs, status: 400 });
        await expectProblem(res, 400, 'validation_failed');
      }
      expect((await srv.call('GET', `${url}?limit=1`, { token: w.tenant.token })).status).toBe(200);
    }
  });
});

describe('PATCH with a non-JSON content type', () => {
  const patches = Object.keys(TENANT_WRITES).filter((r) => r.startsWith('PATCH '));
  for (const route of patches) {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      it(`when ${route} is sent as ${type}, then 415, not a silent 200, and nothing changes`, async () => {
        const prepare = TENANT_WRITES[route];
        if (!prepare) throw new Error(route);
        const { path, body } = await prepare(srv, w);
        const before = await tenantChecksum(h, w.tenant.id);
        const res = await srv.call('PATCH', `/api/v1${path}`, {
          token: w.tenant.token,
          body: JSON.stringify(body),
          headers: { 'content-type': type },
        });
        await expectProblem(res, 415, 'unsupported_media_type');
        expect(await tenantChecksum(h, w.tenant.id)).toBe(before);
      });
    }
  }
});
