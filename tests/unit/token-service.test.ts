import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSigningKeys } from '../../src/config/keys.js';
import { DomainError } from '../../src/domain/errors.js';
import { createTokenService } from '../../src/services/tokens.js';

const tenantPrincipal = {
  kind: 'tenant' as const,
  userId: '01937a1e-0000-7000-8000-000000000001',
  tenantId: '01937a1e-0000-7000-8000-000000000002',
  role: 'staff' as const,
};

async function service(ttlSeconds = 60) {
  const keys = await loadSigningKeys({ dataDir: mkdtempSync(join(tmpdir(), 'tenantry-keys-')) });
  return createTokenService({ keys, issuer: 'tenantry', audience: 'tenantry-api', ttlSeconds });
}

afterEach(() => {
  vi.useRealTimers();
});

describe('token service', () => {
  it('when a token is verified twice, then both calls return the same principal', async () => {
    const tokens = await service();
    const { accessToken } = await tokens.issue(tenantPrincipal);
    const expected = { ...tenantPrincipal, issuedAt: expect.any(Number) };
    expect(await tokens.verify(accessToken)).toEqual(expected);
    expect(await tokens.verify(accessToken)).toEqual(expected);
  });

  it('when a verified token expires, then the verification cache does not keep it alive', async () => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
    const tokens = await service(60);
    const { accessToken } = await tokens.issue(tenantPrincipal);
    expect(await tokens.verify(accessToken)).toMatchObject(tenantPrincipal);
    vi.setSystemTime(new Date('2026-01-01T00:01:10Z'));
    await expect(tokens.verify(accessToken)).rejects.toBeInstanceOf(DomainError);
  });

  it('when a token is altered by one character, then it is refused even after the original was cached', async () => {
    const tokens = await service();
    const { accessToken } = await tokens.issue(tenantPrincipal);
    await tokens.verify(accessToken);
    const last = accessToken.at(-2) === 'A' ? 'B' : 'A';
    const altered = `${accessToken.slice(0, -2)}${last}${accessToken.slice(-1)}`;
    await expect(tokens.verify(altered)).rejects.toMatchObject({ code: 'unauthorized' });
  });
});
