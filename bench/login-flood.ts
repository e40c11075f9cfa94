import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair } from 'jose';
import { freePort, openDatabase } from './lib/database.js';
import { killAllChildrenSync, type ServerProcess, startServer } from './lib/processes.js';
import type { BenchContext, BenchSection } from './lib/sections.js';
import { PLATFORM_ADMIN, seedTenants, type TenantFixture } from './lib/seed.js';

/**
 * Login flood against one tenant while another tenant reads its students: the other tenant's
 * GET /students p50 without and during a flood of 200 wrong-password attempts from 20 client
 * addresses (unknown users, so per-account limits do not help), and the share of attempts
 * refused before any password hash was computed. Two servers side by side on one database:
 * `protected` (the defaults) and `unprotected` (limits and the hashing queue out of the way,
 * as before flood protection existed).
 */

const VARIANTS = {
  protected: {},
  unprotected: {
    LOGIN_ACCOUNT_MAX_FAILURES: '1000000',
    LOGIN_ADDRESS_MAX_FAILURES: '1000000',
    PASSWORD_HASH_CONCURRENCY: '4',
    PASSWORD_HASH_QUEUE: '10000',
    PASSWORD_HASH_NICE: '0',
  },
} as const;
type Variant = keyof typeof VARIANTS;

const CLIENTS = 20;
const ATTEMPTS_PER_CLIENT = 10;
const READERS = 4;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : Number.NaN;
};
const round2 = (x: number) => Math.round(x * 100) / 100;

/** Reads the victim tenant's students until stop() is called; returns each request's latency (ms). */
function readLoop(baseUrl: string, victim: TenantFixture) {
  const latencies: number[] = [];
  let running = true;
  const reader = async () => {
    while (running) {
      const t0 = performance.now();
      const res = await fetch(`${baseUrl}/api/v1/students?limit=20`, {
        headers: { authorization: `Bearer ${victim.token}` },
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`victim read answered ${res.status}`);
      latencies.push(performance.now() - t0);
    }
  };
  const done = Promise.all(Array.from({ length: READERS }, reader));
  return {
    latencies,
    async stop() {
      running = false;
      await done;
    },
  };
}

/** 20 clients, 10 attempts each, back to back, each client from its own address. */
async function flood(baseUrl: string, target: TenantFixture, round: number) {
  const statuses: number[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; i < ATTEMPTS_PER_CLIENT; i++) {
        const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.${round}.${c}.1` },
          body: JSON.stringify({
            tenant: target.slug,
            email: `nobody-${c}-${i}@${target.slug}.test`,
            password: 'guess-1',
          }),
        });
        await res.arrayBuffer();
        statuses.push(res.status);
      }
    }),
  );
  return statuses;
}

async function measure(server: ServerProcess, rounds: number, windowMs: number, log: (s: string) => void) {
  const [target, victim] = await seedTenants({ baseUrl: server.baseUrl, tenants: 2, studentsPerTenant: 200, log });
  if (!target || !victim) throw new Error('seeding gave fewer than two tenants');
  const quiet: number[] = [];
  const during: number[] = [];
  const statuses: number[] = [];
  let floodMs = 0;
  for (let r = 0; r < rounds; r++) {
    const q = readLoop(server.baseUrl, victim);
    await new Promise((res) => setTimeout(res, windowMs));
    await q.stop();
    quiet.push(median(q.latencies));
    const d = readLoop(server.baseUrl, victim);
    const t0 = performance.now();
    statuses.push(...(await flood(server.baseUrl, target, r + 1)));
    floodMs += performance.now() - t0;
    await d.stop();
    during.push(median(d.latencies));
  }
  const count = (s: number) => statuses.filter((x) => x === s).length;
  const refused = count(429) + count(503);
  return {
    p50QuietMs: round2(median(quiet)),
    p50FloodMs: round2(median(during)),
    ratio: round2(median(during) / median(quiet)),
    attempts: statuses.length,
    answered401: count(401),
    refused429: count(429),
    refused503: count(503),
    other: statuses.length - count(401) - refused,
    refusedBeforeHashShare: round2(refused / statuses.length),
    floodSecondsPerRound: round2(floodMs / rounds / 1000),
  };
}

export async function run(ctx: BenchContext): Promise<BenchSection> {
  const rounds = ctx.quick ? 3 : 7;
  const windowMs = ctx.quick ? 1000 : 2000;
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const key = JSON.stringify(await exportJWK(privateKey));
  const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
  for (const variant of Object.keys(VARIANTS) as Variant[]) {
    const server = await startServer({
      name: `login-flood-${variant}`,
      script: 'src/server.ts',
      port: await freePort(),
      env: {
        NODE_ENV: 'production',
        LOG_LEVEL: 'error',
        DATABASE_URL: ctx.runtimeUrl,
        DATABASE_ADMIN_URL: ctx.adminUrl,
        DATABASE_PLATFORM_URL: ctx.platformUrl,
        JWT_PRIVATE_KEY: key,
        PLATFORM_ADMIN_EMAIL: PLATFORM_ADMIN.email,
        PLATFORM_ADMIN_PASSWORD: PLATFORM_ADMIN.password,
        TRUST_PROXY: 'true',
        ...VARIANTS[variant],
      },
    });
    try {
      ctx.log(`${variant}: ${rounds} rounds`);
      results[variant] = await measure(server, rounds, windowMs, ctx.log);
    } finally {
      await server.stop();
    }
  }
  const rows = Object.entries(results).map(
    ([v, r]) =>
      `| ${v} | ${r.p50QuietMs} | ${r.p50FloodMs} | ${r.ratio}× | ${r.attempts} | ${r.answered401} | ${r.refused429} | ${r.refused503} | ${Math.round(r.refusedBeforeHashShare * 100)} % | ${r.floodSecondsPerRound} |`,
  );
  const markdown = [
    `Another tenant's \`GET /api/v1/students?limit=20\` (${READERS} readers in a closed loop) without a flood and during a flood of ${CLIENTS * ATTEMPTS_PER_CLIENT} wrong-password logins (${CLIENTS} clients × ${ATTEMPTS_PER_CLIENT}, one X-Forwarded-For address each, unknown users of one tenant); medians of ${rounds} alternating rounds; load average at start ${loadavg()[0]?.toFixed(2)}. \`unprotected\`: login limits and the hashing queue out of the way (4 hashing threads at normal priority, like the libuv pool before).`,
    '',
    '| server | p50 quiet ms | p50 during flood ms | ratio | attempts | 401 (hashed) | 429 | 503 | refused before hashing | flood s/round |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
  return { title: 'Login flood', markdown, json: { rounds, windowMs, results } };
}

const isMain = Boolean(process.argv[1]) && resolve(process.argv[1]!) === fileURLToPath(import.meta.url);
if (isMain) {
  // `npx tsx bench/login-flood.ts [--quick]`: a fresh embedded PostgreSQL; results under bench/results/.
  const log = (s: string) => process.stderr.write(`[login-flood] ${s}\n`);
  process.on('exit', killAllChildrenSync);
  const db = await openDatabase({ log });
  try {
    const { migrate } = await import('../src/db/migrate.js');
    await migrate(db.adminUrl, () => undefined);
    const section = await run({ ...db, quick: process.argv.includes('--quick'), log });
    const dir = fileURLToPath(new URL('./results/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().slice(0, 10);
    const command = `npx tsx bench/login-flood.ts${process.argv.includes('--quick') ? ' --quick' : ''}`;
    writeFileSync(`${dir}login-flood-${stamp}.md`, `# ${section.title}\n\n\`${command}\`\n\n${section.markdown}\n`);
    writeFileSync(
      `${dir}login-flood-${stamp}.json`,
      `${JSON.stringify({ command, ...(section.json as object) }, null, 2)}\n`,
    );
    process.stdout.write(`${section.markdown}\n`);
  } finally {
    await db.stop();
  }
}
