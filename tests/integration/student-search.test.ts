import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { studentSearchSql } from '../../src/db/repositories/students.js';
import { createHarness, type Harness, type TestTenant } from '../support/harness.js';
import { createStudent, deleteAndPurge, type PageBody, readJson, type StudentBody } from '../support/http-fixtures.js';
import { attempt, runtimeClient } from '../support/sql-runtime.js';

// Search through student_search must give exactly what the ILIKE scan gives, stay inside the
// tenant, and be served by the trigram index for the runtime role under row-level security.
let h: Harness;
let client: pg.Client;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());
beforeEach(async () => {
  client = await runtimeClient(h.db.runtimeUrl);
});
afterEach(() => client.end());

const NAMES: [string, string, string | null][] = [
  ['Grace', 'Hopper', 'grace@navy.test'],
  ['Ölaf', 'Straße', 'olaf@example.test'],
  ['100%', 'Sure_Thing', null],
  ['Back\\slash', 'O’Brien', 'ob@example.test'],
  ['ÅSA', 'Lindström', 'ASA.L@Example.TEST'],
];

async function seed(t: TestTenant): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, [firstName, lastName, email]] of NAMES.entries()) {
    const s = await createStudent(h, t.token, {
      firstName,
      lastName,
      studentNo: `NO-${i}-ZX`,
      ...(email && { email }),
    });
    ids.push(s.id);
  }
  return ids;
}

async function search(t: TestTenant, q: string, more = ''): Promise<string[]> {
  const res = await h.request('GET', `/api/v1/students?limit=100&q=${encodeURIComponent(q)}${more}`, {
    token: t.token,
  });
  expect(res.status).toBe(200);
  return (await readJson<PageBody<StudentBody>>(res)).data.map((s) => s.id);
}

/** Today's semantics, as the runtime role: ILIKE '%q%' (wildcards escaped) over the four columns. */
async function scan(t: TestTenant, q: string): Promise<string[]> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT app.begin_request($1, null)', [t.id]);
    const pattern = `%${q.replace(/[\\%_]/g, '\\$&')}%`;
    const r = await client.query<{ id: string }>(
      `SELECT id FROM students WHERE tenant_id = $1 AND (first_name ILIKE $2 OR last_name ILIKE $2
         OR student_no ILIKE $2 OR email ILIKE $2) ORDER BY id`,
      [t.id, pattern],
    );
    return r.rows.map((row) => row.id);
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('student search through trigrams', () => {
  it('when searching, then the answer equals the ILIKE scan for every kind of term', async () => {
    const t = await h.createTenant();
    await seed(t);
    const terms = [
      'hopper',
      'HOP',
      'grace@navy',
      'ölaf',
      'ÖLA',
      'straße',
      'STRASSE',
      '100%',
      '0%',
      '%',
      '_th',
      'e_t',
      'sure_',
      'k\\s',
      'o’b',
      'åsa',
      'Lindström',
      'example.test',
      'no-',
      'no-3-zx',
      '-zx',
      'zzz',
      'nobody',
      'a',
      'ex',
    ];
    for (const q of terms) expect({ q, ids: await search(t, q) }).toEqual({ q, ids: await scan(t, q) });
    expect(await search(t, 'hopper')).toHaveLength(1);
    expect(await search(t, 'example.test')).toHaveLength(3);
  });

  it('when a student is renamed, bulk-created or deleted, then search follows at once', async () => {
    const t = await h.createTenant();
    const s = await createStudent(h, t.token, { firstName: 'Barbara', lastName: 'Liskov' });
    expect(await search(t, 'liskov')).toEqual([s.id]);
    const patched = await h.request('PATCH', `/api/v1/students/${s.id}`, {
      token: t.token,
      body: { lastName: 'Knuth' },
    });
    expect(patched.status).toBe(200);
    expect(await search(t, 'liskov')).toEqual([]);
    expect(await search(t, 'knuth')).toEqual([s.id]);

    const bulk = await h.request('POST', '/api/v1/students/bulk', {
      token: t.token,
      body: { students: [1, 2, 3].map((i) => ({ studentNo: `B-${i}`, firstName: 'Bulk', lastName: `Quux${i}` })) },
    });
    expect(bulk.status).toBe(201);
    expect(await search(t, 'quux')).toHaveLength(3);
    expect(await search(t, 'quux2')).toHaveLength(1);

    expect((await h.request('DELETE', `/api/v1/students/${s.id}`, { token: t.token })).status).toBe(204);
    expect(await search(t, 'knuth')).toEqual([]);
    expect(await trigramRows(t)).toBeGreaterThan(0);
    await deleteAndPurge(h, t.id);
    expect(await trigramRows(t, true)).toBe(0);
  });

  it('when paging a search with a cursor and an active filter, then pages are the scan’s rows in id order', async () => {
    const t = await h.createTenant();
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await createStudent(h, t.token, { firstName: `Pager${i}`, lastName: 'Same', active: i % 3 !== 0 })).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await h.request(
        'GET',
        `/api/v1/students?limit=2&q=pager&active=true${cursor ? `&cursor=${cursor}` : ''}`,
        {
          token: t.token,
        },
      );
      const page = await readJson<PageBody<StudentBody>>(res);
      seen.push(...page.data.map((s) => s.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids.filter((_, i) => i % 3 !== 0));
  });
});

/** Trigram rows of a tenant: as that tenant (runtime login), or counted by the platform login. */
async function trigramRows(t: TestTenant, platform = false): Promise<number> {
  const c = platform ? await runtimeClient(h.db.platformUrl) : client;
  await c.query('BEGIN');
  try {
    await c.query(
      platform ? 'SELECT app.begin_platform(null)' : 'SELECT app.begin_request($1, null)',
      platform ? [] : [t.id],
    );
    const r = await c.query<{ n: string }>('SELECT count(*) AS n FROM student_search WHERE tenant_id = $1', [t.id]);
    return Number(r.rows[0]!.n);
  } finally {
    await c.query('ROLLBACK');
    if (platform) await c.end();
  }
}

describe('student search isolation and plan', () => {
  it('when tenant A searches for a term only B’s students hold, then nothing of B’s matches, and A cannot write B’s trigrams', async () => {
    const [a, b] = [await h.createTenant(), await h.createTenant()];
    const own = await createStudent(h, a.token, { firstName: 'Common', lastName: 'Name' });
    const theirs = await createStudent(h, b.token, { firstName: 'Common', lastName: 'Zyxwvut' });
    expect(await search(a, 'zyxwvut')).toEqual([]);
    expect(await search(a, 'common')).toEqual([own.id]);
    expect(await search(b, 'common')).toEqual([theirs.id]);

    await client.query('BEGIN');
    try {
      await client.query('SELECT app.begin_request($1, null)', [a.id]);
      const visible = await client.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM student_search');
      expect(visible.rows.map((r) => r.tenant_id)).toEqual([a.id]);
      const forged = await attempt(
        client,
        'INSERT INTO student_search (tenant_id, student_id, trigram) VALUES ($1, $2, $3)',
        [b.id, theirs.id, 'com'],
      );
      expect(forged.code).toBe('42501');
      // A's own tenant_id with B's student: the composite foreign key refuses it.
      const crossed = await attempt(
        client,
        'INSERT INTO student_search (tenant_id, student_id, trigram) VALUES ($1, $2, $3)',
        [a.id, theirs.id, 'com'],
      );
      expect(crossed.code).toBe('23503');
    } finally {
      await client.query('ROLLBACK');
    }
  });

  it('when the runtime role EXPLAINs a search under RLS, then the trigram index on (tenant_id, trigram) finds the candidates', async () => {
    const t = await h.createTenant({ plan: 'premium' });
    for (let batch = 0; batch < 2; batch++) {
      const students = Array.from({ length: 1000 }, (_, i) => ({
        studentNo: `P-${batch}-${i}`,
        firstName: ['Ada', 'Alan', 'Grace', 'John'][i % 4],
        lastName: `Family${i % 97}`,
      }));
      const res = await h.request('POST', '/api/v1/students/bulk', { token: t.token, body: { students } });
      expect(res.status).toBe(201);
    }
    const statement = studentSearchSql(t.id, { limit: 20, q: 'family42' });
    await client.query('BEGIN');
    try {
      // On Citus the plan is the shard's, shown by the worker: executed remotely, not locally.
      if (h.db.citus) await client.query('SET LOCAL citus.enable_local_execution TO off');
      await client.query('SELECT app.begin_request($1, null)', [t.id]);
      const plan = (
        await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS OFF) ${statement.text}`, statement.values)
      ).rows
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      // Index only, plain index or bitmap scan, as the planner's statistics decide: the trigram
      // index finds the candidates in each.
      expect(plan).toMatch(/(Index (Only )?Scan using|Bitmap Index Scan on) student_search_trigram_idx(_\d+)?\s/);
      expect(plan).toMatch(/Index Cond: \(\(tenant_id = [^)]+\) AND \(trigram = /);
      expect(plan).not.toMatch(/Seq Scan on students/);
      const found = await client.query(statement.text, statement.values);
      expect(found.rows).toHaveLength(20);
    } finally {
      await client.query('ROLLBACK');
    }
  });
});
