import { isDeepStrictEqual } from 'node:util';
import type { ServerProcess } from './processes.js';
import type { TenantFixture } from './seed.js';

async function call(server: ServerProcess, path: string, token: string, body?: unknown) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) as unknown };
  } catch {
    return { status: res.status, json: text as unknown };
  }
}

const shape = (v: unknown): unknown =>
  v && typeof v === 'object'
    ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x === null ? 'null' : typeof x]))
    : v;

/**
 * Before measuring: every server must answer the three routes exactly as Tenantry does (same
 * status, same JSON for reads, same shape for a create) and must answer another tenant's
 * student with 404, so the baselines are doing the same job under the same isolation.
 */
// First1, First10–19 and First100–199 of the tenant's seeded students: more than one page.
const FIND = 'First1';

export async function checkParity(servers: ServerProcess[], fixtures: TenantFixture[]): Promise<void> {
  const [a, b] = fixtures;
  const reference = servers.find((s) => s.name === 'tenantry');
  if (!a || !reference) return;
  const id = a.studentIds[0] as string;
  const expect = {
    list: await call(reference, '/api/v1/students?limit=20', a.token),
    get: await call(reference, `/api/v1/students/${id}`, a.token),
    find: await call(reference, `/api/v1/students?q=${FIND}&limit=20`, a.token),
    create: await call(reference, '/api/v1/students', a.token, {
      studentNo: `PARITY-${reference.name}`,
      firstName: 'Parity',
      lastName: 'Check',
      email: `parity-${reference.name}@example.com`,
      dateOfBirth: '2012-03-04',
    }),
  };
  const problems: string[] = [];
  if (expect.list.status !== 200 || expect.get.status !== 200 || expect.create.status !== 201) {
    problems.push(
      `tenantry answered list ${expect.list.status}, get ${expect.get.status}, create ${expect.create.status}`,
    );
  }
  for (const server of servers) {
    if (server !== reference) {
      const list = await call(server, '/api/v1/students?limit=20', a.token);
      const get = await call(server, `/api/v1/students/${id}`, a.token);
      const find = await call(server, `/api/v1/students?q=${FIND}&limit=20`, a.token);
      const create = await call(server, '/api/v1/students', a.token, {
        studentNo: `PARITY-${server.name}`,
        firstName: 'Parity',
        lastName: 'Check',
        email: `parity-${server.name}@example.com`,
        dateOfBirth: '2012-03-04',
      });
      if (list.status !== 200 || !isDeepStrictEqual(list.json, expect.list.json)) {
        problems.push(`${server.name}: list differs (${list.status}): ${JSON.stringify(list.json).slice(0, 300)}`);
      }
      if (get.status !== 200 || !isDeepStrictEqual(get.json, expect.get.json)) {
        problems.push(`${server.name}: get differs (${get.status}): ${JSON.stringify(get.json).slice(0, 300)}`);
      }
      if (find.status !== 200 || !isDeepStrictEqual(find.json, expect.find.json)) {
        problems.push(`${server.name}: search differs (${find.status}): ${JSON.stringify(find.json).slice(0, 300)}`);
      }
      if (create.status !== 201 || !isDeepStrictEqual(shape(create.json), shape(expect.create.json))) {
        problems.push(
          `${server.name}: create differs (${create.status}): ${JSON.stringify(create.json).slice(0, 300)}`,
        );
      }
    }
    if (b) {
      const other = await call(server, `/api/v1/students/${id}`, b.token);
      if (other.status !== 404)
        problems.push(`${server.name}: another tenant's student answered ${other.status}, not 404`);
    }
  }
  if (problems.length) throw new Error(`the servers do not do the same job:\n  ${problems.join('\n  ')}`);
}
