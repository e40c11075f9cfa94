import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { asPlatform, deleteAndPurge, expectProblem } from '../support/http-fixtures.js';
import {
  exportText,
  importText,
  linesOf,
  NDJSON,
  populatedTenant,
  withoutExportAudits,
} from '../support/transfer-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** An exported tenant that no longer exists, ready to be imported (or broken first). */
async function exportedAndDeleted(students = 2) {
  const { tenant } = await populatedTenant(h, { students });
  const text = await exportText(h, tenant);
  await deleteAndPurge(h, tenant.id);
  return { tenant, lines: text.split('\n').filter((l) => l !== '') };
}

const rowsLeft = (tenantId: string) =>
  asPlatform(h, async (tx) => ({
    tenants: await tx.tenant.count({ where: { id: tenantId } }),
    users: await tx.user.count({ where: { tenantId } }),
    students: await tx.student.count({ where: { tenantId } }),
    settings: await tx.tenantSettings.count({ where: { tenantId } }),
  }));

const nothing = { tenants: 0, users: 0, students: 0, settings: 0 };

describe('tenant import validation and atomicity', () => {
  it('when line 500 of 600 has an unknown field, then 400 names that line and nothing is written', async () => {
    const { tenant, lines } = await exportedAndDeleted(600);
    const index = lines.findIndex((l, i) => i >= 499 && l.includes('"table":"students"'));
    expect(index).toBeGreaterThan(0);
    const broken = JSON.parse(lines[index]!) as { row: Record<string, unknown> };
    broken.row.nickname = 'Ada';
    lines[index] = JSON.stringify(broken);
    const problem = await expectProblem(await importText(h, lines.join('\n')), 400, 'validation_failed');
    expect(problem.detail).toContain(`line ${index + 1}`);
    expect(problem.errors).toContainEqual({ path: `line ${index + 1}: row.nickname`, message: 'unknown field' });
    expect(await rowsLeft(tenant.id)).toEqual(nothing);
  });

  it('when the database refuses a row late in the import, then the whole import is rolled back', async () => {
    const { tenant, lines } = await exportedAndDeleted(600);
    const students = lines.filter((l) => l.includes('"table":"students"'));
    const last = JSON.parse(students.at(-1)!) as { row: Record<string, unknown> };
    const first = JSON.parse(students[0]!) as { row: Record<string, unknown> };
    last.row.studentNo = first.row.studentNo; // unique per tenant: only the insert can tell
    lines[lines.indexOf(students.at(-1)!)] = JSON.stringify(last);
    const problem = await expectProblem(await importText(h, lines.join('\n')), 400, 'validation_failed');
    expect(problem.detail).toMatch(/students/);
    expect(await rowsLeft(tenant.id)).toEqual(nothing);
  });

  it('when a row names another tenant id than the header, then 400 naming the line and nothing is written', async () => {
    const { tenant, lines } = await exportedAndDeleted();
    const other = await h.createTenant();
    const index = lines.findIndex((l) => l.includes('"table":"courses"'));
    lines[index] = lines[index]!.replace(`"tenantId":"${tenant.id}"`, `"tenantId":"${other.id}"`);
    const problem = await expectProblem(await importText(h, lines.join('\n')), 400, 'validation_failed');
    expect(problem.errors).toContainEqual({
      path: `line ${index + 1}: row.tenantId`,
      message: 'names another tenant than the header',
    });
    expect(await rowsLeft(tenant.id)).toEqual(nothing);
    expect(await rowsLeft(other.id)).toMatchObject({ tenants: 1, users: 1, students: 0 });
  });

  it('when a line names an unknown table or is not JSON, then 400 naming each line', async () => {
    const { tenant, lines } = await exportedAndDeleted();
    lines.splice(2, 0, JSON.stringify({ table: 'refresh_tokens', row: {} }), '{not json');
    const problem = await expectProblem(await importText(h, lines.join('\n')), 400, 'validation_failed');
    expect(problem.errors?.map((e) => e.path)).toEqual(expect.arrayContaining(['line 3: table', 'line 4']));
    expect(await rowsLeft(tenant.id)).toEqual(nothing);
  });

  it('when an enrollment names a student that is not in the import, then 400 naming its line as the database refuses it', async () => {
    const { lines } = await exportedAndDeleted();
    const index = lines.findIndex((l) => l.includes('"table":"enrollments"'));
    const e = JSON.parse(lines[index]!) as { row: Record<string, unknown> };
    e.row.studentId = crypto.randomUUID();
    lines[index] = JSON.stringify(e);
    const problem = await expectProblem(await importText(h, lines.join('\n')), 400, 'validation_failed');
    expect(problem.errors).toContainEqual({
      path: `line ${index + 1}`,
      message: 'enrollments rows refer to rows that are not in the import',
    });
  });

  it('when the tenant id or slug already exists, then 409 and the existing tenant is untouched', async () => {
    const { tenant } = await populatedTenant(h);
    const text = await exportText(h, tenant);
    await expectProblem(await importText(h, text), 409, 'conflict');

    const sameSlug = text.replaceAll(tenant.id, crypto.randomUUID());
    expect(linesOf(sameSlug)[0]).toMatchObject({ tenant: { slug: tenant.slug } });
    await expectProblem(await importText(h, sameSlug), 409, 'conflict');
    expect(withoutExportAudits(await exportText(h, tenant))).toBe(withoutExportAudits(text));
  });

  it('when a tenant admin imports, or the body is JSON instead of NDJSON, then 403 and 415', async () => {
    const tenant = await h.createTenant();
    const text = await exportText(h, tenant);
    await expectProblem(await importText(h, text, tenant.token), 403, 'forbidden');
    const json = await h.request('POST', '/api/v1/tenants/import', { token: h.platformToken, body: { text } });
    await expectProblem(json, 415, 'unsupported_media_type');
    const empty = await h.request('POST', '/api/v1/tenants/import', {
      token: h.platformToken,
      body: '\n',
      headers: NDJSON,
    });
    await expectProblem(empty, 400, 'validation_failed');
  });
});
