import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * The container files cannot be built here; what can be checked is that they parse, that the
 * compose stack mirrors the README's external-PostgreSQL setup, and that they name only
 * variables the app knows (.env.example lists every one).
 */

interface Service {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
}

const compose = parse(readFileSync('compose.yaml', 'utf8')) as { services: Record<string, Service> };
const envExample = readFileSync('.env.example', 'utf8');
/** Every variable .env.example names, set or commented out (`# NAME=…`). */
const documented = new Set([...envExample.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
const dockerfile = readFileSync('Dockerfile', 'utf8');

describe('compose.yaml', () => {
  const api = compose.services.api!;

  it('when parsed, then it runs the API image beside PostgreSQL and Redis, each with a healthcheck', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgres', 'redis']);
    expect(api.build).toBe('.');
    expect(compose.services.postgres?.healthcheck?.test).toBeTruthy();
    expect(compose.services.redis?.healthcheck?.test).toBeTruthy();
    expect(api.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(api.depends_on?.redis?.condition).toBe('service_healthy');
  });

  it('when the API environment is read, then every variable is one .env.example documents', () => {
    const keys = Object.keys(api.environment ?? {});
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.filter((k) => !documented.has(k))).toEqual([]);
  });

  it('when the API connects, then it uses the three logins of README "External PostgreSQL" and the Redis service', () => {
    const env = api.environment!;
    const login = (name: string) => new URL(env[name]!.replace(/\$\{[^}]+\}/g, 'x')).username;
    expect(login('DATABASE_URL')).toBe('tenantry_app');
    expect(login('DATABASE_PLATFORM_URL')).toBe('tenantry_platform');
    expect(login('DATABASE_ADMIN_URL')).toBe('tenantry_owner');
    for (const name of ['DATABASE_URL', 'DATABASE_PLATFORM_URL', 'DATABASE_ADMIN_URL']) {
      expect(new URL(env[name]!.replace(/\$\{[^}]+\}/g, 'x')).host).toBe('postgres:5432');
    }
    expect(env.REDIS_URL).toBe('redis://redis:6379');
  });

  it('when PostgreSQL starts empty, then its init script makes the roles exactly as the README does', () => {
    const init = readFileSync('deploy/postgres-init.sh', 'utf8');
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### External PostgreSQL'));
    const statements = [...section.matchAll(/^(CREATE ROLE \w+ [A-Z ]+|CREATE DATABASE .*;|REVOKE .*;|GRANT .*;)/gm)]
      .map((m) => m[1]!.replace(/ PASSWORD.*$/, '').trim())
      .slice(0, 7);
    expect(statements).toHaveLength(7);
    for (const statement of statements) expect(init).toContain(statement);
  });
});

describe('Dockerfile', () => {
  it('when read, then it builds in stages, runs as a non-root user, checks health and starts like npm start', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\n.*\/health\/live/m);
    const cmd = JSON.parse(dockerfile.match(/^CMD (\[.*\])$/m)![1]!) as string[];
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start;
    // npm start execs the server (so signals sent to npm reach it); the container runs it as PID 1.
    expect(cmd.join(' ')).toBe(start.replace(/^exec /, ''));
  });
});
