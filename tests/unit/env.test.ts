import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.js';

describe('configuration', () => {
  it('when nothing is set, then the embedded defaults apply', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ PORT: 3000, DATA_DIR: '.data', PLATFORM_ADMIN_EMAIL: 'admin@localhost' });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('when only one of the two database URLs is set, then it fails naming the pair', () => {
    expect(() => parseEnv({ DATABASE_URL: 'postgres://app@db/tenantry' })).toThrow(/DATABASE_ADMIN_URL/);
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
