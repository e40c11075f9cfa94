import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { expectProblem } from '../support/http-fixtures.js';

let h: Harness;
let t: TestTenant;
beforeAll(async () => {
  h = await createHarness();
  t = await h.createTenant();
});
afterAll(() => h.close());

const challenge = async (res: Response) => {
  await expectProblem(res.clone(), 401, 'unauthorized');
  return res.headers.get('www-authenticate');
};
const INVALID = /^Bearer error="invalid_token", error_description="[\x20-\x21\x23-\x5b\x5d-\x7e]+"$/;

describe('401 answers follow RFC 6750', () => {
  it('when no token is sent, then plain Bearer', async () => {
    expect(await challenge(await h.request('GET', '/api/v1/students'))).toBe('Bearer');
    expect(
      await challenge(await h.request('GET', '/api/v1/students', { headers: { authorization: 'Basic dXNlcjpwYXNz' } })),
    ).toBe('Bearer');
  });

  it('when a token is malformed, tampered with or names a user that is gone, then invalid_token with a description', async () => {
    const tampered = `${t.token.slice(0, -4)}AAAA`;
    for (const authorization of ['Bearer not-a-jwt', `Bearer ${tampered}`]) {
      expect(await challenge(await h.request('GET', '/api/v1/students', { headers: { authorization } }))).toMatch(
        INVALID,
      );
    }
    const ghost = await h.tokenFor({
      kind: 'tenant',
      tenantId: t.id,
      userId: '01900000-0000-7000-8000-000000000000',
      role: 'viewer',
    });
    expect(await challenge(await h.request('GET', '/api/v1/students', { token: ghost }))).toMatch(INVALID);
  });

  it('when a sign-in fails, then plain Bearer (no token was involved)', async () => {
    const res = await h.request('POST', '/api/v1/auth/login', {
      body: { tenant: t.slug, email: t.adminEmail, password: 'wrong-password-1' },
    });
    expect(await challenge(res)).toBe('Bearer');
  });
});
