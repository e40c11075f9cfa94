import { randomInt, randomUUID } from 'node:crypto';

export type Op = 'list' | 'get' | 'create' | 'patch' | 'delete' | 'enroll' | 'foreign';
// Weights per 100 requests: reads dominate, writes keep every tenant's set changing.
export const MIX: [Op, number][] = [
  ['list', 30],
  ['get', 20],
  ['create', 18],
  ['patch', 12],
  ['delete', 8],
  ['enroll', 7],
  ['foreign', 5],
];

interface Row {
  id: string;
  studentNo: string;
}

export interface TenantState {
  index: number;
  slug: string;
  token: string;
  courseId: string;
  /** Acknowledged and not (acknowledged) deleted: exactly what the tenant's listing must hold. */
  live: Set<string>;
  /** Picked for a delete that is in flight; neither live nor gone yet. */
  busy: Set<string>;
  /** Writes whose outcome is unknown (503 inside a fault window). */
  uncertainNos: Set<string>;
  uncertainIds: Set<string>;
  seq: number;
  acked: { creates: number; deletes: number };
}

export interface OpStats {
  n: number;
  ok: number;
  c4xx: number;
  c5xx: number;
  ms: number[];
}

export type Http = (
  method: string,
  path: string,
  token: string,
  body?: unknown,
) => Promise<{ status: number; json: unknown; ms: number }>;

export function createHttp(baseUrl: string): Http {
  return async (method, path, token, body) => {
    const started = performance.now();
    try {
      const res = await fetch(baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : null, ms: performance.now() - started };
    } catch {
      return { status: 0, json: null, ms: performance.now() - started }; // no answer within 10 s
    }
  };
}

/** Runs one operation of the mix for tenant `t` and keeps the books on what was acknowledged. */
export function createWorkload(deps: {
  http: Http;
  tenants: TenantState[];
  owner: Map<string, number>;
  inFault: (at: number) => boolean;
}) {
  const { http, tenants, owner } = deps;
  const stats = new Map<Op, OpStats>(MIX.map(([op]) => [op, { n: 0, ok: 0, c4xx: 0, c5xx: 0, ms: [] }]));
  const violations: string[] = [];
  let fault5xx = 0;
  const total = MIX.reduce((n, [, w]) => n + w, 0);

  const pickOp = (): Op => {
    let r = randomInt(total);
    for (const [op, w] of MIX) {
      r -= w;
      if (r < 0) return op;
    }
    return 'list';
  };
  const pickLive = (t: TenantState) => [...t.live][randomInt(Math.max(1, t.live.size))];

  /** Every row a tenant receives must be its own: a known owner, or (created just now) its own number prefix. */
  function checkRows(t: TenantState, op: string, rows: Row[]) {
    for (const r of rows) {
      const o = owner.get(r.id);
      if (o === undefined ? !r.studentNo.startsWith(`${t.slug}-`) : o !== t.index) {
        violations.push(`cross-tenant: ${op} by ${t.slug} returned ${r.id} (${r.studentNo}, owner ${o ?? 'unknown'})`);
      }
    }
  }

  async function run(t: TenantState): Promise<void> {
    const id = pickLive(t);
    const picked = pickOp();
    const op: Op = !id && picked !== 'list' && picked !== 'foreign' ? 'create' : picked;
    const begun = Date.now();
    const s = stats.get(op)!;
    let allowed: number[] = [];
    let res: Awaited<ReturnType<Http>>;
    let uncertain = () => {};
    if (op === 'list') {
      res = await http('GET', '/api/v1/students?limit=100', t.token);
      allowed = [200];
      if (res.status === 200) checkRows(t, op, (res.json as { data: Row[] }).data);
    } else if (op === 'foreign') {
      const other = tenants[(t.index + 1 + randomInt(tenants.length - 1)) % tenants.length]!;
      const theirs = pickLive(other) ?? randomUUID();
      res = await http('GET', `/api/v1/students/${theirs}`, t.token);
      allowed = [404];
      if (res.status === 200) violations.push(`cross-tenant: ${t.slug} read ${other.slug}'s student ${theirs}`);
    } else if (op === 'create' || !id) {
      const studentNo = `${t.slug}-${++t.seq}`;
      res = await http('POST', '/api/v1/students', t.token, { studentNo, firstName: 'Soak', lastName: t.slug });
      allowed = [201];
      if (res.status === 201) {
        const row = res.json as Row;
        owner.set(row.id, t.index);
        t.live.add(row.id);
        t.acked.creates++;
        checkRows(t, op, [row]);
      }
      uncertain = () => t.uncertainNos.add(studentNo);
    } else if (op === 'delete') {
      t.live.delete(id);
      t.busy.add(id);
      res = await http('DELETE', `/api/v1/students/${id}`, t.token);
      allowed = [204];
      t.busy.delete(id);
      if (res.status === 204) t.acked.deletes++;
      else t.live.add(id);
      uncertain = () => {
        t.live.delete(id); // maybe deleted: no longer picked, not expected in the final listing
        t.uncertainIds.add(id);
      };
    } else {
      const path = `/api/v1/students/${id}`;
      if (op === 'get') res = await http('GET', path, t.token);
      else if (op === 'patch') res = await http('PATCH', path, t.token, { firstName: `P${t.seq}` });
      else res = await http('POST', `/api/v1/courses/${t.courseId}/enrollments`, t.token, { studentId: id });
      allowed = op === 'enroll' ? [201, 409] : [200];
      // A row deleted by a concurrent request may be gone: 404 is right only if it is no longer live.
      if (res.status === 404 && !t.live.has(id)) allowed.push(404);
      if ((op === 'get' || op === 'patch') && res.status === 200) checkRows(t, op, [res.json as Row]);
    }
    s.n++;
    s.ms.push(res.ms);
    if (allowed.includes(res.status)) s.ok++;
    else if (res.status >= 400 && res.status < 500) s.c4xx++;
    else s.c5xx++;
    if (!allowed.includes(res.status)) {
      // Inside the fault window the database's absence is a 503; a 500 is a bug even then.
      const faulty = res.status === 503 && (deps.inFault(begun) || deps.inFault(Date.now()));
      if (faulty) {
        fault5xx++;
        uncertain();
      } else violations.push(`${op} by ${t.slug}: status ${res.status} ${JSON.stringify(res.json)?.slice(0, 200)}`);
    }
  }

  return { run, stats, violations, fault5xx: () => fault5xx };
}

/** The tenant's whole listing (every page), compared with its acknowledged writes. */
export async function verifyTenant(
  http: Http,
  t: TenantState,
  owner: Map<string, number>,
): Promise<{ listed: number; problems: string[] }> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const res = await http('GET', `/api/v1/students?limit=100${cursor ? `&cursor=${cursor}` : ''}`, t.token);
    if (res.status !== 200)
      return { listed: rows.length, problems: [`final listing of ${t.slug}: status ${res.status}`] };
    const body = res.json as { data: Row[]; nextCursor: string | null };
    rows.push(...body.data);
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  const problems: string[] = [];
  const listed = new Set(rows.map((r) => r.id));
  for (const r of rows) {
    const o = owner.get(r.id);
    if (o !== undefined && o !== t.index)
      problems.push(`cross-tenant: ${t.slug}'s listing holds ${r.id} of tenant ${o}`);
    else if (!t.live.has(r.id) && !t.uncertainNos.has(r.studentNo) && !t.uncertainIds.has(r.id))
      problems.push(`${t.slug}: ${r.id} (${r.studentNo}) listed but never acknowledged (or acknowledged deleted)`);
  }
  for (const id of t.live) if (!listed.has(id)) problems.push(`${t.slug}: acknowledged ${id} is missing`);
  return { listed: rows.length, problems };
}
