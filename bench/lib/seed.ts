import { randomBytes } from 'node:crypto';

export interface TenantFixture {
  id: string;
  slug: string;
  email: string;
  token: string;
  tokenIssuedAt: number;
  studentIds: string[];
}

export const PLATFORM_ADMIN = { email: 'bench-admin@example.com', password: 'bench-platform-password-1' };
const TENANT_ADMIN_PASSWORD = 'bench-tenant-password-1';

async function api<T>(baseUrl: string, method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`seeding: ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Runs fn over items with at most `limit` in flight. */
async function pool<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T, i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const login = (baseUrl: string, slug: string, email: string) =>
  api<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/login', {
    tenant: slug,
    email,
    password: TENANT_ADMIN_PASSWORD,
  });

/**
 * Seeds through Tenantry's public API only, so tokens and rows are real: platform login →
 * N tenants (enterprise plan, so quotas never interfere) with their admins → each admin
 * logs in → bulk-creates its students.
 */
export async function seedTenants(opts: {
  baseUrl: string;
  tenants: number;
  studentsPerTenant: number;
  log: (s: string) => void;
}): Promise<TenantFixture[]> {
  const { baseUrl } = opts;
  const runId = randomBytes(4).toString('hex');
  const platform = await api<{ accessToken: string }>(baseUrl, 'POST', '/api/v1/auth/platform/login', PLATFORM_ADMIN);
  const started = performance.now();
  const fixtures = await pool([...Array(opts.tenants).keys()], 4, async (i) => {
    const slug = `bench-${runId}-${i}`;
    const email = `admin@${slug}.example.com`;
    const created = await api<{ tenant: { id: string } }>(
      baseUrl,
      'POST',
      '/api/v1/tenants',
      {
        name: `Bench school ${i}`,
        slug,
        plan: 'enterprise',
        admin: { email, password: TENANT_ADMIN_PASSWORD, name: 'Bench Admin' },
      },
      platform.accessToken,
    );
    const { accessToken } = await login(baseUrl, slug, email);
    const studentIds: string[] = [];
    for (let from = 0; from < opts.studentsPerTenant; from += 1000) {
      const students = Array.from({ length: Math.min(1000, opts.studentsPerTenant - from) }, (_, k) => {
        const n = from + k;
        return {
          studentNo: `S${String(n).padStart(6, '0')}`,
          firstName: `First${n}`,
          lastName: `Last${i}`,
          email: `student${n}@${slug}.example.com`,
          dateOfBirth: `20${10 + (n % 10)}-0${1 + (n % 9)}-1${n % 10}`,
        };
      });
      const res = await api<{ ids: string[] }>(baseUrl, 'POST', '/api/v1/students/bulk', { students }, accessToken);
      studentIds.push(...res.ids);
    }
    return { id: created.tenant.id, slug, email, token: accessToken, tokenIssuedAt: Date.now(), studentIds };
  });
  opts.log(
    `seeded ${fixtures.length} tenants × ${opts.studentsPerTenant} students in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return fixtures;
}

/** Access tokens live 15 minutes: log in again when one is older than maxAgeMs. */
export async function refreshTokens(baseUrl: string, fixtures: TenantFixture[], maxAgeMs: number): Promise<void> {
  const stale = fixtures.filter((f) => Date.now() - f.tokenIssuedAt > maxAgeMs);
  await pool(stale, 4, async (f) => {
    f.token = (await login(baseUrl, f.slug, f.email)).accessToken;
    f.tokenIssuedAt = Date.now();
  });
}
