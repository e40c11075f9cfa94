import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';

describe('configuration', () => {
  it('when nothing is set, then the embedded defaults apply', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({
      PORT: 3000,
      DATA_DIR: '.data',
      PLATFORM_ADMIN_EMAIL: 'admin@localhost',
      HTTP_REQUEST_TIMEOUT_MS: 300_000,
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('when only some of the three database URLs are set, then it fails naming the missing ones', () => {
    const runtime = 'postgres://tenantry_app@db/tenantry';
    const admin = 'postgres://tenantry_owner@db/tenantry';
    const platform = 'postgres://tenantry_platform@db/tenantry';
    expect(() => parseEnv({ DATABASE_URL: runtime })).toThrow(/missing: DATABASE_ADMIN_URL, DATABASE_PLATFORM_URL/);
    expect(() => parseEnv({ DATABASE_URL: runtime, DATABASE_ADMIN_URL: admin })).toThrow(
      /all three.*missing: DATABASE_PLATFORM_URL/,
    );
    expect(() => parseEnv({ DATABASE_PLATFORM_URL: platform })).toThrow(/missing: DATABASE_URL, DATABASE_ADMIN_URL/);
  });

  it('when all three database URLs are set, then they are taken with the platform pool size', () => {
    const env = parseEnv({
      DATABASE_URL: 'postgres://tenantry_app@db/tenantry',
      DATABASE_ADMIN_URL: 'postgres://tenantry_owner@db/tenantry',
      DATABASE_PLATFORM_URL: 'postgres://tenantry_platform@db/tenantry',
      DB_PLATFORM_POOL_SIZE: '6',
    });
    expect(env).toMatchObject({
      DATABASE_PLATFORM_URL: 'postgres://tenantry_platform@db/tenantry',
      DB_PLATFORM_POOL_SIZE: 6,
    });
    expect(parseEnv({}).DB_PLATFORM_POOL_SIZE).toBe(4);
  });

  it('when several variables are invalid, then one error names each of them', () => {
    let message = '';
    try {
      parseEnv({ PORT: 'eighty', PLATFORM_ADMIN_EMAIL: 'not-an-email', LOG_LEVEL: 'loud' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('PORT');
    expect(message).toContain('PLATFORM_ADMIN_EMAIL');
    expect(message).toContain('LOG_LEVEL');
  });

  it('when a platform admin password is shorter than 12 characters, then it is refused', () => {
    expect(() => parseEnv({ PLATFORM_ADMIN_PASSWORD: 'short' })).toThrow(/PLATFORM_ADMIN_PASSWORD/);
  });
});
