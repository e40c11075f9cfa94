import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../support/harness.js';
import { asPlatform, deleteAndPurge, expectProblem, readJson } from '../support/http-fixtures.js';
import { exportText, importText, populatedTenant, splitTrailer } from '../support/transfer-fixtures.js';

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

/** An export of a tenant that was then deleted and purged, so the export can be imported again. */
async function exported(students = 40) {
  const { tenant } = await populatedTenant(h, { students });
  const text = await exportText(h, tenant, { credentials: true });
  await deleteAndPurge(h, tenant.id);
  return { tenant, text, ...splitTrailer(text) };
}

const rowsOf = (tenantId: string) =>
  asPlatform(h, async (tx) => ({
    tenants: await tx.tenant.count({ where: { id: tenantId } }),
    students: await tx.student.count({ where: { tenantId } }),
    users: await tx.user.count({ where: { tenantId } }),
  }));
const none = { tenants: 0, students: 0, users: 0 };
const join = (lines: string[]) => `${lines.join('\n')}\n`;

describe('export trailer: row counts and SHA-256, verified on import', () => {
  it('when the export is cut off before its trailer, then 400 says it is truncated and nothing is written', async () => {
    const { tenant, lines } = await exported();
    const problem = await expectProblem(await importText(h, join(lines.slice(0, 30))), 400, 'validation_failed');
    expect(problem.detail).toMatch(/truncated/);
    expect(problem.errors).toEqual([{ path: 'line 31', message: expect.stringMatching(/trailer line .* is missing/) }]);
    expect(await rowsOf(tenant.id)).toEqual(none);
  });

  it('when the export is cut off in the middle of a line, then 400 names that line and nothing is written', async () => {
    const { tenant, text } = await exported();
    const cut = text.slice(0, Math.floor(text.length / 2));
    const problem = await expectProblem(await importText(h, cut), 400, 'validation_failed');
    const last = cut.split('\n').length;
    expect(problem.errors).toContainEqual({ path: `line ${last}`, message: 'not valid JSON' });
    expect(await rowsOf(tenant.id)).toEqual(none);
  });

  it('when a value is edited and the line stays valid, then 400 names the checksum and nothing is written', async () => {
    const { tenant, lines, trailer } = await exported();
    const index = lines.findIndex((l) => l.includes('"table":"students"'));
    lines[index] = lines[index]!.replace(/"firstName":"[^"]*"/, '"firstName":"Mallory"');
    expect(lines[index]).toContain('Mallory');
    const problem = await expectProblem(
      await importText(h, join([...lines, JSON.stringify(trailer)])),
      400,
      'validation_failed',
    );
    expect(problem.errors).toEqual([
      {
        path: `line ${lines.length + 1}: sha256`,
        message: 'does not match the lines before the trailer: the file was changed after export',
      },
    ]);
    expect(await rowsOf(tenant.id)).toEqual(none);
  });

  it('when a row is removed and the trailer kept, then 400 names the table whose count differs', async () => {
    const { tenant, lines, trailer } = await exported();
    const index = lines.findLastIndex((l) => l.includes('"table":"students"')); // not enrolled
    lines.splice(index, 1);
    const problem = await expectProblem(
      await importText(h, join([...lines, JSON.stringify(trailer)])),
      400,
      'validation_failed',
    );
    expect(problem.errors).toContainEqual({
      path: `line ${lines.length + 1}: counts.students`,
      message: `the trailer counts ${trailer.counts.students} students rows, the file holds ${(trailer.counts.students ?? 0) - 1}`,
    });
    expect(await rowsOf(tenant.id)).toEqual(none);
  });

  it('when the trailer is malformed or followed by more lines, then 400 names the line', async () => {
    const { tenant, lines, trailer } = await exported(2);
    const bad = await expectProblem(
      await importText(h, join([...lines, JSON.stringify({ ...trailer, sha256: 'abc' })])),
      400,
      'validation_failed',
    );
    expect(bad.errors?.[0]?.path).toBe(`line ${lines.length + 1}: sha256`);
    const after = await expectProblem(
      await importText(h, join([...lines, JSON.stringify(trailer), lines[1]!])),
      400,
      'validation_failed',
    );
    expect(after.errors).toEqual([
      { path: `line ${lines.length + 2}`, message: `follows the trailer line ${lines.length + 1}` },
    ]);
    expect(await rowsOf(tenant.id)).toEqual(none);
  });

  it('when a version 1 export (no trailer) is imported, then it is written unverified (sha256 null)', async () => {
    const { tenant, lines } = await exported(2);
    lines[0] = lines[0]!.replace('"version":2', '"version":1');
    const res = await importText(h, join(lines));
    expect(res.status).toBe(201);
    expect(await readJson(res)).toMatchObject({ tenant: { id: tenant.id }, mode: 'restore', sha256: null });
    expect(await rowsOf(tenant.id)).toEqual({ tenants: 1, students: 3, users: 2 });
  });

  it('when the header names an unknown version, then 400 and nothing is written', async () => {
    const { tenant, lines, trailer } = await exported(2);
    lines[0] = lines[0]!.replace('"version":2', '"version":3');
    const problem = await expectProblem(
      await importText(h, join([...lines, JSON.stringify(trailer)])),
      400,
      'validation_failed',
    );
    expect(problem.errors?.[0]?.path).toBe('line 1: version');
    expect(await rowsOf(tenant.id)).toEqual(none);
  });
});
