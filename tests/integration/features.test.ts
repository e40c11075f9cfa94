import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURES } from '../../src/domain/tenant/plans.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { addUser, asTenant, expectProblem, readJson, studentInput } from '../support/http-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const setFeatures = async (t: TestTenant, features: Record<string, boolean | null>) => {
  const res = await h.request('PATCH', `/api/v1/tenants/${t.id}`, { token: h.platformToken, body: { features } });
  expect(res.status).toBe(200);
};
const bulk = (t: TestTenant, token = t.token) =>
  h.request('POST', '/api/v1/students/bulk', { token, body: { students: [studentInput(), studentInput()] } });
const exportAs = (t: TestTenant, token: string) => h.request('GET', `/api/v1/tenants/${t.id}/export`, { token });
const features = async (t: TestTenant) =>
  (await readJson<{ features: Record<string, unknown> }>(await h.request('GET', '/api/v1/tenant', { token: t.token })))
    .features;
const students = (t: TestTenant) => asTenant(h, t, (tx) => tx.student.count({ where: { tenantId: t.id } }));

describe('feature gates', () => {
  it('when a plan lacks bulkCreate and export (custom without overrides), then both are 403 feature_disabled and nothing is written', async () => {
    const t = await h.createTenant({ plan: 'custom' });
    const refused = await expectProblem(await bulk(t), 403, 'feature_disabled');
    expect(refused.detail).toContain('bulkCreate');
    expect(await students(t)).toBe(0);
    const noExport = await expectProblem(await exportAs(t, t.token), 403, 'feature_disabled');
    expect(noExport.detail).toContain('export');
    expect(await features(t)).toMatchObject({ bulkCreate: false, export: false });
  });

  it('when the platform admin exports a tenant whose plan lacks export, then it is served: operators can always take data out', async () => {
    const t = await h.createTenant({ plan: 'custom' });
    const res = await exportAs(t, h.platformToken);
    expect(res.status).toBe(200);
    expect((await res.text()).split('\n')[0]).toContain('"tenantry-export"');
  });

  it('when an override switches a feature on, then the route works at once and GET /tenant lists it; null returns to the plan default', async () => {
    const t = await h.createTenant({ plan: 'custom' });
    await expectProblem(await bulk(t), 403, 'feature_disabled'); // cached profile before the change
    await setFeatures(t, { bulkCreate: true });
    expect((await bulk(t)).status).toBe(201);
    expect(await features(t)).toMatchObject({ bulkCreate: true, export: false });
    await setFeatures(t, { bulkCreate: null });
    await expectProblem(await bulk(t), 403, 'feature_disabled');
    expect(await students(t)).toBe(2);
  });

  it('when a plan that includes a feature has it switched off for one tenant, then only that tenant is refused', async () => {
    const off = await h.createTenant();
    const on = await h.createTenant();
    await setFeatures(off, { export: false, bulkCreate: false });
    await expectProblem(await exportAs(off, off.token), 403, 'feature_disabled');
    await expectProblem(await bulk(off), 403, 'feature_disabled');
    const staff = await addUser(h, off, 'staff');
    await expectProblem(await bulk(off, staff.token), 403, 'feature_disabled');
    expect((await exportAs(on, on.token)).status).toBe(200);
    expect((await bulk(on)).status).toBe(201);
  });

  it('when GET /tenant is read, then every known feature is listed with its effective value, and other stored flags too', async () => {
    const t = await h.createTenant({ plan: 'premium' });
    await setFeatures(t, { reports: true });
    const listed = await features(t);
    for (const feature of FEATURES) expect(typeof listed[feature]).toBe('boolean');
    expect(listed).toMatchObject({ bulkCreate: true, export: true, reports: true });
  });

  it('when the OpenAPI document is read, then gated operations name their feature and document the 403', async () => {
    const doc = await readJson<{
      paths: Record<
        string,
        Record<string, { 'x-feature'?: string; responses: Record<string, { description: string }> }>
      >;
    }>(await h.app.request('/openapi.json'));
    const gated = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op['x-feature'])
        .map(([method, op]) => [`${method} ${path}`, op['x-feature'], op.responses['403']?.description] as const),
    );
    expect(gated.map(([op, feature]) => [op, feature])).toEqual(
      expect.arrayContaining([
        ['post /api/v1/students/bulk', 'bulkCreate'],
        ['get /api/v1/tenants/{id}/export', 'export'],
      ]),
    );
    for (const [, , description] of gated) expect(description).toContain('feature_disabled');
  });
});
