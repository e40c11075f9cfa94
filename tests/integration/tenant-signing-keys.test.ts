import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOrAnswer, runCommand } from '../../src/cli/run.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { expectProblem, readJson } from '../support/http-fixtures.js';

const KEK = randomBytes(32).toString('hex');
const harnesses: Harness[] = [];
const withTenantKeys = async (on = true) => {
  const h = await createHarness({ env: { TENANT_SIGNING_KEYS: on, TENANT_KEY_ENCRYPTION_KEY: KEK } });
  harnesses.push(h);
  return h;
};
afterAll(async () => {
  await Promise.all(harnesses.map((h) => h.close()));
});

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid;
const students = (h: Harness, token: string) => h.request('GET', '/api/v1/students', { token });
async function login(h: Harness, t: TestTenant): Promise<string> {
  const res = await h.request('POST', '/api/v1/auth/login', {
    body: { tenant: t.slug, email: t.adminEmail, password: t.adminPassword },
  });
  expect(res.status).toBe(200);
  return (await readJson<{ accessToken: string }>(res)).accessToken;
}
const keyRows = (h: Harness, tenantId: string) =>
  h.runner.platform(null, ({ tx }) =>
    tx.tenantSigningKey.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } }),
  );
const jwksKids = async (h: Harness) =>
  (await readJson<{ keys: JWK[] }>(await h.request('GET', '/.well-known/jwks.json'))).keys.map((k) => k.kid);
const expectRefused = async (res: Response) => {
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
  await expectProblem(res, 401, 'unauthorized');
};

describe('per-tenant signing keys', () => {
  let h: Harness;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    h = await withTenantKeys();
    [a, b] = await Promise.all([h.createTenant(), h.createTenant()]);
  });

  it("when a tenant is created, then its key is created with it, stored encrypted, and signs that tenant's tokens only", async () => {
    const [rows, tokenA, tokenB] = await Promise.all([keyRows(h, a.id), login(h, a), login(h, b)]);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.kid).toMatch(new RegExp(`^${a.id}\\.[0-9a-f]{16}$`));
    expect(row.privateKeyEnc).toMatch(/^v1\./);
    expect(row.privateKeyEnc).not.toContain('"d"');
    expect(row.publicJwk).not.toHaveProperty('d');
    expect(kidOf(tokenA)).toBe(row.kid);
    expect(kidOf(tokenB)).toMatch(new RegExp(`^${b.id}\\.`));
    expect((await students(h, tokenA)).status).toBe(200);
    expect((await students(h, tokenB)).status).toBe(200);
    // Platform admins' tokens keep the configured key.
    expect(kidOf(h.platformToken)).not.toMatch(/\./);
    const kids = await jwksKids(h);
    expect(kids).toEqual(expect.arrayContaining([kidOf(tokenA), kidOf(tokenB), kidOf(h.platformToken)]));
  });

  it("when a token names tenant A's key but another tenant, then it is refused although the signature is A's", async () => {
    const { kid, privateKey } = await h.services.tenantKeys!.signingKey(a.id);
    const forged = await new SignJWT({ role: 'tenant_admin', tid: b.id })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
      .setIssuer('tenantry')
      .setAudience('tenantry-api')
      .setSubject(b.adminId)
      .setJti(randomBytes(8).toString('hex'))
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    await expectRefused(await students(h, forged));
    const platform = await new SignJWT({ role: 'platform_admin' })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
      .setIssuer('tenantry')
      .setAudience('tenantry-api')
      .setSubject(h.platformAdminId)
      .setJti(randomBytes(8).toString('hex'))
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    await expectRefused(await h.request('GET', '/api/v1/tenants', { token: platform }));
    // A kid of the tenant's shape that it does not have.
    await expectRefused(
      await students(
        h,
        await new SignJWT({ role: 'tenant_admin', tid: a.id })
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: `${a.id}.0000000000000000` })
          .setIssuer('tenantry')
          .setAudience('tenantry-api')
          .setSubject(a.adminId)
          .setJti('x')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey),
      ),
    );
  });

  it("when A's keys are revoked, then A's tokens are refused at once (cached ones too) and B's keep working", async () => {
    const t = await h.createTenant();
    const [oldT, tokenB] = await Promise.all([login(h, t), login(h, b)]);
    expect((await students(h, oldT)).status).toBe(200);
    const res = await h.request('POST', `/api/v1/tenants/${t.id}/signing-key/revoke`, { token: h.platformToken });
    expect(res.status).toBe(200);
    const body = await readJson<{ kid: string; revoked: string[] }>(res);
    expect(body.revoked).toEqual([kidOf(oldT)]);
    await expectRefused(await students(h, oldT));
    expect((await students(h, tokenB)).status).toBe(200);
    const fresh = await login(h, t);
    expect(kidOf(fresh)).toBe(body.kid);
    expect((await students(h, fresh)).status).toBe(200);
    const kids = await jwksKids(h);
    expect(kids).toContain(body.kid);
    expect(kids).not.toContain(kidOf(oldT));
    expect((await keyRows(h, t.id)).map((r) => r.revokedAt !== null)).toEqual([true, false]);
  });

  it("when A's key is rotated, then A's old tokens stay valid until the previous key's window ends, and fail after", async () => {
    const t = await h.createTenant();
    const oldT = await login(h, t);
    const res = await h.request('POST', `/api/v1/tenants/${t.id}/signing-key/rotate`, { token: h.platformToken });
    expect(res.status).toBe(200);
    const body = await readJson<{ kid: string; retired: { kid: string; verifiesUntil: string }[] }>(res);
    expect(body.retired.map((r) => r.kid)).toEqual([kidOf(oldT)]);
    const until = Date.parse(body.retired[0]!.verifiesUntil) - Date.now();
    expect(until).toBeGreaterThan(890_000);
    expect(until).toBeLessThan(910_000);
    expect((await students(h, oldT)).status).toBe(200);
    const fresh = await login(h, t);
    expect(kidOf(fresh)).toBe(body.kid);
    expect(await jwksKids(h)).toEqual(expect.arrayContaining([kidOf(oldT), body.kid]));
    // The longest token lifetime has passed since the rotation:
    await h.runner.platform(null, ({ tx }) =>
      tx.tenantSigningKey.update({
        where: { tenantId_kid: { tenantId: t.id, kid: kidOf(oldT) } },
        data: { retiredAt: new Date(Date.now() - 3_600_000) },
      }),
    );
    h.services.tenantProfiles.invalidate(t.id);
    await expectRefused(await students(h, oldT));
    expect((await students(h, fresh)).status).toBe(200);
    // The public JWKS is read at most every 5 s.
    await expect.poll(() => jwksKids(h), { timeout: 8000, interval: 500 }).not.toContain(kidOf(oldT));
  });

  it('when a tenant is deleted, a key change is refused; when it is purged, its keys go with it; exports carry none', async () => {
    const t = await h.createTenant();
    const exported = await (
      await h.request('GET', `/api/v1/tenants/${t.id}/export`, { token: h.platformToken })
    ).text();
    expect(exported).not.toMatch(/signing|private_key|privateKey/i);
    expect((await h.request('DELETE', `/api/v1/tenants/${t.id}`, { token: h.platformToken })).status).toBe(204);
    await expectProblem(
      await h.request('POST', `/api/v1/tenants/${t.id}/signing-key/rotate`, { token: h.platformToken }),
      409,
      'invalid_transition',
    );
    expect((await h.request('POST', `/api/v1/tenants/${t.id}/purge`, { token: h.platformToken })).status).toBe(200);
    expect(await keyRows(h, t.id)).toHaveLength(0);
  });

  it('when a tenant has no key yet (made before the setting, or imported), then concurrent sign-ins make exactly one', async () => {
    const off = await withTenantKeys(false);
    const t = await off.createTenant();
    expect(await keyRows(h, t.id)).toHaveLength(0);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => login(h, t)));
    const rows = await keyRows(h, t.id);
    expect(rows).toHaveLength(1);
    expect(new Set(tokens.map(kidOf))).toEqual(new Set([rows[0]!.kid]));
    await expectProblem(
      await off.request('POST', `/api/v1/tenants/${t.id}/signing-key/rotate`, { token: off.platformToken }),
      409,
      'conflict',
    );
  });

  it('when an operator uses the tenant CLI, then rotate-key and revoke-keys act like the routes', async () => {
    const t = await h.createTenant();
    const before = await login(h, t);
    const cli = async (on: Harness, ...argv: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const sink = (into: string[]) => new PassThrough().on('data', (c: Buffer) => into.push(c.toString('utf8')));
      const io = { stdout: sink(out), stderr: sink(err), stdin: Readable.from([]) };
      const parsed = parseOrAnswer(io, argv);
      const code =
        typeof parsed === 'number'
          ? parsed
          : await runCommand({ services: on.services, adminId: on.platformAdminId, io }, parsed);
      return { code, stdout: out.join(''), stderr: err.join('') };
    };
    const rotated = await cli(h, 'rotate-key', t.slug, '--json');
    expect(rotated.code).toBe(0);
    const { kid } = JSON.parse(rotated.stdout) as { kid: string };
    expect((await students(h, before)).status).toBe(200);
    expect(kidOf(await login(h, t))).toBe(kid);
    const revoked = await cli(h, 'revoke-keys', t.slug);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`revoked ${kidOf(before)}`);
    await expectRefused(await students(h, before));
    const off = await withTenantKeys(false);
    const refused = await cli(off, 'rotate-key', t.slug);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/TENANT_SIGNING_KEYS=true/);
  });
});
