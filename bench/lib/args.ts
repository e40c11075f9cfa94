import { parseArgs } from 'node:util';

export const SCENARIO_NAMES = ['list', 'get', 'create', 'find'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
export const SERVER_NAMES = ['tenantry', 'raw', 'naive', 'raw-pipelined'] as const;
export type ServerName = (typeof SERVER_NAMES)[number];

export interface BenchOptions {
  quick: boolean;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  /** The largest of tenantCounts: how many tenants are seeded. */
  tenants: number;
  /** The HTTP scenarios run once per count, each request a random tenant's token among the first N. */
  tenantCounts: number[];
  studentsPerTenant: number;
  poolSize: number;
  /** After the scenarios: Tenantry alone under list/get load at each pool size, for its RSS. */
  poolSizes: number[];
  /** Scenario and section names to run; undefined means everything. */
  only?: Set<string>;
  servers: ServerName[];
  /** Write a V8 CPU profile per server (node --cpu-prof) under bench/results/profiles/. */
  profile: boolean;
  databaseUrl?: string;
  adminUrl?: string;
  platformUrl?: string;
  argv: string[];
}

const USAGE = `usage: npm run bench -- [--quick] [--rounds N] [--duration S] [--warmup S] [--connections C]
       [--tenants N[,N…]] [--students N] [--pool N] [--pool-sizes N,N…|none] [--only list,get,create,rls-scale,scale-curve,provisioning,quota-lock,login-flood,search]
       [--servers tenantry,raw,naive[,raw-pipelined]] [--profile]
       [--database-url URL --admin-url URL --platform-url URL]
                                  (or BENCH_DATABASE_URL / BENCH_ADMIN_URL / BENCH_PLATFORM_URL)`;

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}..${max}`);
  return n;
}

function ints(name: string, value: string | undefined, fallback: number[], min: number, max: number): number[] {
  if (value === 'none') return [];
  const items = list(value);
  if (!items) return fallback;
  const out = [...new Set(items.map((v) => int(name, v, 0, min, max)))];
  if (!out.length) throw new Error(`--${name} needs at least one value`);
  return out;
}

function list(value: string | undefined): string[] | undefined {
  return value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      tenants: { type: 'string' },
      students: { type: 'string' },
      pool: { type: 'string' },
      'pool-sizes': { type: 'string' },
      only: { type: 'string' },
      servers: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'database-url': { type: 'string' },
      'admin-url': { type: 'string' },
      'platform-url': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const quick = values.quick ?? false;
  const servers = (list(values.servers) ?? ['tenantry', 'raw', 'naive']) as ServerName[];
  for (const s of servers) if (!SERVER_NAMES.includes(s)) throw new Error(`unknown server '${s}'\n${USAGE}`);
  if (!servers.includes('tenantry')) throw new Error('--servers must include tenantry (it seeds the data)');
  const only = list(values.only);
  const tenantCounts = ints('tenants', values.tenants, [quick ? 20 : 50], 1, 10_000);
  const databaseUrl = values['database-url'] ?? env.BENCH_DATABASE_URL;
  const adminUrl = values['admin-url'] ?? env.BENCH_ADMIN_URL;
  const platformUrl = values['platform-url'] ?? env.BENCH_PLATFORM_URL;
  const given = [databaseUrl, adminUrl, platformUrl].filter(Boolean).length;
  if (given !== 0 && given !== 3) {
    throw new Error(
      'give all of --database-url (runtime login), --admin-url (owner) and --platform-url (platform login), or none',
    );
  }
  return {
    quick,
    rounds: int('rounds', values.rounds, quick ? 3 : 5, 1, 50),
    durationS: int('duration', values.duration, quick ? 3 : 10, 1, 600),
    warmupS: int('warmup', values.warmup, quick ? 1 : 3, 0, 60),
    connections: int('connections', values.connections, 50, 1, 1000),
    tenants: Math.max(...tenantCounts),
    tenantCounts,
    studentsPerTenant: int('students', values.students, 200, 1, 100_000),
    poolSize: int('pool', values.pool, 10, 1, 200),
    poolSizes: ints('pool-sizes', values['pool-sizes'], quick ? [] : [10, 40], 1, 200),
    only: only ? new Set(only) : undefined,
    servers,
    profile: values.profile ?? false,
    databaseUrl,
    adminUrl,
    platformUrl,
    argv,
  };
}

export const selected = (opts: BenchOptions, name: string): boolean => !opts.only || opts.only.has(name);
