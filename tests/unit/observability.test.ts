import { describe, expect, it } from 'vitest';
import { createTopTenants } from '../../src/http/top-tenants.js';
import { createLogger } from '../../src/runtime/logger.js';

describe('top tenants label', () => {
  it('when more tenants than N send traffic, then only the N busiest keep their own label after a ranking', () => {
    const top = createTopTenants(2, 100);
    const labels = new Map<string, string>();
    // a: 50, b: 30, c: 15, d: 5 requests in the first ranking window of 100.
    const plan = [...Array(50).fill('a'), ...Array(30).fill('b'), ...Array(15).fill('c'), ...Array(5).fill('d')];
    for (const id of plan) top.label(id);
    for (const id of ['a', 'b', 'c', 'd']) labels.set(id, top.label(id));
    expect(Object.fromEntries(labels)).toEqual({ a: 'a', b: 'b', c: 'other', d: 'other' });
  });

  it('when N is 0, then every tenant is "other"', () => {
    expect(createTopTenants(0).label('a')).toBe('other');
  });

  it('when 200,000 tenants appear once each, then at most N distinct labels besides "other" are ever returned', () => {
    const top = createTopTenants(5, 1000);
    const seen = new Set<string>();
    for (let i = 0; i < 200_000; i++) seen.add(top.label(`t${i}`));
    seen.delete('other');
    // Each ranking may name a new five (the first five, then the busiest of each window).
    expect(seen.size).toBeLessThanOrEqual(5 * (200_000 / 1000 + 1));
    expect(top.label('fresh')).toBe('other');
  });
});

describe('log redaction', () => {
  it('when a log line carries credentials at any depth, then they are censored', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', pretty: false, destination: { write: (l: string) => lines.push(l) } });
    logger.info(
      {
        password: 'p-1',
        body: { password: 'p-2', refreshToken: 'rt-3' },
        req: { headers: { authorization: 'Bearer tok-4', cookie: 'c-5' } },
        config: { databaseUrl: 'postgres://u:pw-6@h/db' },
      },
      'credentials everywhere',
    );
    const text = lines.join('');
    for (const secret of ['p-1', 'p-2', 'rt-3', 'tok-4', 'c-5', 'pw-6']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
