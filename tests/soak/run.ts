import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { soakDatabase, startServer, workDirectory } from './infra.js';
import { createHttp, createWorkload, type TenantState, verifyTenant } from './workload.js';

// npm run test:soak [-- --minutes 10 --rate 200 --tenants 200 --fault]
// Loopback only: the real server (src/server.ts) as a child process, its own PostgreSQL.
const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '200' },
    tenants: { type: 'string', default: '200' },
    fault: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(args.minutes);
const RATE = Number(args.rate);
const TENANTS = Number(args.tenants);
// Past this many requests in flight the server is saturated; more would only queue (and time out
// in its own pool wait), which measures capacity, not correctness. Ticks over it are skipped and counted.
const MAX_IN_FLIGHT = 64;
const RSS_EVERY_MS = 10_000;
const say = (msg: string) => process.stdout.write(`[soak] ${msg}\n`);

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function setUp(baseUrl: string, platform: { email: string; password: string }) {
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`setup ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const platformToken = (await post('/api/v1/auth/platform/login', platform)).accessToken as string;
  const tenants: TenantState[] = [];
  const run = randomBytes(3).toString('hex');
  await pool(
    Array.from({ length: TENANTS }, (_, i) => i),
    8,
    async (index) => {
      const slug = `soak-${run}-${index}`;
      const admin = { email: `admin@${slug}.test`, password: 'soak-password-1', name: 'Admin' };
      await post('/api/v1/tenants', { name: slug, slug, plan: 'standard', admin }, platformToken);
      const token = (await post('/api/v1/auth/login', { tenant: slug, email: admin.email, password: admin.password }))
        .accessToken as string;
      const course = await post('/api/v1/courses', { code: 'SOAK-1', title: 'Soak' }, token);
      tenants[index] = {
        index,
        slug,
        token,
        courseId: course.id as string,
        live: new Set(),
        busy: new Set(),
        uncertainNos: new Set(),
        uncertainIds: new Set(),
        seq: 0,
        acked: { creates: 0, deletes: 0 },
      };
    },
  );
  return tenants;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? Math.round(s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]!) : 0;
};

async function main() {
  const work = workDirectory();
  say(
    `work directory ${work.dir}; ${MINUTES} min at ${RATE} req/s over ${TENANTS} tenants${args.fault ? ', with a PostgreSQL restart' : ''}`,
  );
  const db = await soakDatabase(work.dir);
  if (args.fault && !db.restartable) throw new Error('--fault needs the embedded PostgreSQL (unset SOAK_DATABASE_URL)');
  const server = await startServer(db, work.dir);
  const http = createHttp(server.baseUrl);
  let failed = true;
  try {
    const t0 = Date.now();
    const tenants = await setUp(server.baseUrl, server.platform);
    say(`${TENANTS} tenants ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const owner = new Map<string, number>();
    const fault = { from: Number.POSITIVE_INFINITY, to: Number.NEGATIVE_INFINITY };
    const load = createWorkload({ http, tenants, owner, inFault: (at) => at >= fault.from && at <= fault.to });

    const rss: { at: number; mb: number }[] = [];
    const started = Date.now();
    const end = started + MINUTES * 60_000;
    const sampler = setInterval(() => rss.push({ at: Date.now() - started, mb: server.rssMb() }), RSS_EVERY_MS);
    rss.push({ at: 0, mb: server.rssMb() });
    let faultDone: Promise<void> = Promise.resolve();
    if (args.fault) {
      faultDone = sleep((end - started) * 0.4).then(async () => {
        fault.from = Date.now();
        fault.to = Number.POSITIVE_INFINITY;
        say('fault: stopping PostgreSQL for 5 s');
        await db.stop();
        await sleep(5000);
        await db.start();
        fault.to = Date.now() + 10_000; // the pool's broken connections are replaced on first use
        say('fault: PostgreSQL is back');
      });
    }
    let issued = 0;
    let skipped = 0;
    let inFlight = 0;
    while (Date.now() < end) {
      const due = Math.floor(((Date.now() - started) / 1000) * RATE);
      for (; issued < due; issued++) {
        if (inFlight >= MAX_IN_FLIGHT) {
          skipped++;
          continue;
        }
        inFlight++;
        void load.run(tenants[Math.floor(Math.random() * tenants.length)]!).finally(() => inFlight--);
      }
      await sleep(5);
    }
    for (let i = 0; inFlight > 0 && i < 300; i++) await sleep(50);
    clearInterval(sampler);
    rss.push({ at: Date.now() - started, mb: server.rssMb() });
    await faultDone;
    const elapsed = (Date.now() - started) / 1000;

    const rowProblems: string[] = [];
    let listed = 0;
    await pool(tenants, 8, async (t) => {
      const v = await verifyTenant(http, t, owner);
      listed += v.listed;
      rowProblems.push(...v.problems);
    });
    const uncertain = tenants.reduce((n, t) => n + t.uncertainNos.size + t.uncertainIds.size, 0);
    const acked = tenants.reduce((a, t) => ({ c: a.c + t.acked.creates, d: a.d + t.acked.deletes }), { c: 0, d: 0 });

    const warm = rss.filter((s) => s.at >= Math.min(60_000, (end - started) * 0.25));
    const first = warm[0]?.mb ?? rss[0]!.mb;
    const last = rss.at(-1)!.mb;
    const max = Math.max(...rss.map((s) => s.mb));
    const rssOk = last <= first * 1.5 + 50;

    const rows = [...load.stats].map(([op, s]) => ({
      op,
      requests: s.n,
      ok: s.ok,
      '4xx': s.c4xx,
      '5xx': s.c5xx,
      p50: pct(s.ms, 50),
      p95: pct(s.ms, 95),
      p99: pct(s.ms, 99),
      max: pct(s.ms, 100),
    }));
    const total = rows.reduce((n, r) => n + r.requests, 0);
    console.table(rows);
    const crossTenant = [...load.violations, ...rowProblems].filter((v) => v.startsWith('cross-tenant'));
    const others = [...load.violations, ...rowProblems].filter((v) => !v.startsWith('cross-tenant'));
    console.table({
      'duration (s)': elapsed.toFixed(0),
      'requests (rate achieved)': `${total} (${(total / elapsed).toFixed(1)}/s; ${skipped} skipped at ${MAX_IN_FLIGHT} in flight)`,
      'cross-tenant rows': crossTenant.length,
      'other violations (5xx outside faults, bad status, lost or extra rows)': others.length,
      '503 inside the fault window (allowed)': load.fault5xx(),
      'acknowledged creates / deletes': `${acked.c} / ${acked.d}`,
      'rows listed at the end / acknowledged creates - deletes': `${listed} / ${acked.c - acked.d}${uncertain ? ` (${uncertain} writes unanswered in the fault window)` : ''}`,
      'server RSS MB first(after warm-up)/last/max': `${first.toFixed(0)} / ${last.toFixed(0)} / ${max.toFixed(0)} ${rssOk ? 'ok' : 'GREW'}`,
    });
    const kinds = new Map<string, number>();
    for (const v of others) {
      const kind = v
        .replace(/^(\w+) by \S+: status (\d+).*$/, '$1 answered $2')
        .replace(/^soak-\S+: \S+ \(\S+\) listed but/, 'a row listed but')
        .replace(/^soak-\S+: acknowledged \S+ is missing$/, 'an acknowledged row missing');
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    if (kinds.size) console.table(Object.fromEntries([...kinds].slice(0, 20)));
    for (const v of [...crossTenant, ...others].slice(0, 10)) say(`VIOLATION ${v}`);
    failed = crossTenant.length > 0 || others.length > 0 || !rssOk || (uncertain === 0 && listed !== acked.c - acked.d);
    if (skipped > issued * 0.05)
      say(`WARNING: only ${(total / elapsed).toFixed(0)} of ${RATE} req/s; the machine is the limit`);
    say(failed ? 'FAILED' : 'passed');
  } finally {
    await server.stop();
    await db.destroy();
    if (!failed) work.remove();
    else say(`server log kept in ${server.logFile}`);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`[soak] ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
