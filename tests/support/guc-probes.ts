import pg from 'pg';
import { vi } from 'vitest';

/** Marks every injected string, so SQL text can be searched for it. */
export const PROBE = 'gucprobe';

/** Strings that would switch the tenant if any became SQL text; each fits a 100-character field. */
export function gucInjections(victimTenantId: string): string[] {
  const t = victimTenantId;
  return [
    `app.current_tenant_id ${PROBE}`,
    `'; SET app.current_tenant_id = '${t}'; -- ${PROBE}`,
    `');SELECT set_config('app.current_tenant_id','${t}',false)--${PROBE}`,
    `${PROBE}' OR tenant_id = '${t}' OR '1'='1`,
    `$$; RESET ROLE; SET ROLE tenantry_platform; -- ${PROBE}`,
    `\\'; SET LOCAL app.current_tenant_id TO '${t}' /* ${PROBE} */`,
  ];
}

/** Headers a confused proxy or client might send; none of them may reach the context. */
export function injectionHeaders(victim: { id: string; slug: string }): Record<string, string> {
  return {
    'app.current_tenant_id': victim.id,
    'x-app-current-tenant-id': `'; SET app.current_tenant_id = '${victim.id}'; -- ${PROBE}`,
    options: `-c app.current_tenant_id=${victim.id}`,
    'x-forwarded-host': `${victim.slug}.tenantry.test`,
    forwarded: `host=${victim.slug}.tenantry.test`,
    cookie: `tenant=${victim.id}; app.current_tenant_id=${victim.id}`,
    'user-agent': `${PROBE}'; SET ROLE tenantry_platform; --`,
    'x-request-id': `${PROBE}-${victim.id}`,
  };
}

/** Every route with a user-controlled string, with the injected string s in each field, query and path. */
export function probeRequests(
  s: string,
  i: number,
  at: { studentId: string; ownSlug: string; victimId: string },
): [method: string, path: string, body?: unknown][] {
  const q = encodeURIComponent(s);
  const no = (prefix: string) => `${prefix}${i}${s}`.slice(0, 64);
  return [
    ['PATCH', `/api/v1/students/${at.studentId}`, { lastName: s }],
    ['GET', `/api/v1/students?q=${q}`],
    ['GET', `/api/v1/students?cursor=${q}`],
    ['GET', `/api/v1/students/${q}`],
    ['POST', '/api/v1/students/bulk', { students: [{ studentNo: no('bulk-'), firstName: s, lastName: s }] }],
    ['POST', '/api/v1/courses', { code: no(''), title: s }],
    ['PATCH', '/api/v1/tenant/settings', { branding: { [s.slice(0, 64)]: s } }],
    ['POST', '/api/v1/users', { email: `${PROBE}${i}@x.test`, name: s, password: `${s}-long-enough`, role: 'viewer' }],
    ['GET', `/api/v1/audit-log?cursor=${q}`],
    ['POST', '/api/v1/auth/login', { tenant: s.slice(0, 63), email: s, password: s }],
    ['POST', '/api/v1/auth/login', { tenant: at.ownSlug, email: s, password: s }],
    ['POST', '/api/v1/auth/refresh', { refreshToken: s }],
    [
      'POST',
      '/api/v1/students',
      { studentNo: 'x', firstName: 'x', lastName: 'x', tenantId: at.victimId, tenant_id: s },
    ],
  ];
}

export interface Statement {
  text: string;
  values: unknown[];
}

/**
 * Records every statement any pg client in this process sends (the app's pool included, as
 * long as this runs before the pool connects): text and bound values, separately.
 */
export function recordStatements() {
  const spy = vi.spyOn(pg.Client.prototype, 'query');
  const statements = (): Statement[] =>
    spy.mock.calls.map(([config, values]) => {
      const c = config as unknown as string | { text?: string; values?: unknown[] };
      if (typeof c === 'string') return { text: c, values: Array.isArray(values) ? values : [] };
      return { text: c?.text ?? '', values: c?.values ?? (Array.isArray(values) ? values : []) };
    });
  return { statements, clear: () => spy.mockClear(), restore: () => spy.mockRestore() };
}
