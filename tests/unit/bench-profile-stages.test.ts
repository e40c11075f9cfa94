import { describe, expect, it } from 'vitest';
import { type CpuProfile, frameStage, type ProfileNode, stackStage, stageBreakdown } from '../../bench/lib/profile.js';

const ROOT = '/app';
const frame = (functionName: string, url = ''): ProfileNode['callFrame'] => ({ functionName, url, lineNumber: 0 });
const mod = (pkg: string, file = 'index.js') => `file://${ROOT}/node_modules/${pkg}/${file}`;
const src = (path: string) => `file://${ROOT}/src/${path}`;

/**
 * A synthetic profile: a tree of frames (root → children) and a list of [leaf name, µs] samples
 * at 1 ms apart, starting at t = 1,000,000 µs.
 */
function profileOf(
  tree: Record<string, { frame: ProfileNode['callFrame']; children?: string[] }>,
  samples: [string, number][],
): CpuProfile {
  const names = Object.keys(tree);
  const id = (n: string) => names.indexOf(n) + 1;
  return {
    nodes: names.map((n) => ({
      id: id(n),
      callFrame: tree[n]?.frame ?? frame(n),
      children: tree[n]?.children?.map(id),
    })),
    startTime: 1_000_000,
    samples: samples.map(([n]) => id(n)),
    timeDeltas: samples.map(([, dt]) => dt),
  };
}

describe('bench profile stages', () => {
  it('classifies frames by package, source file and builtin', () => {
    expect(frameStage(frame('jwtVerify', mod('jose', 'dist/jwt/verify.js')))).toBe('token');
    expect(frameStage(frame('verify', src('services/tokens.ts')))).toBe('token');
    expect(frameStage(frame('parse', mod('zod', 'v4/core/parse.js')))).toBe('validation');
    expect(frameStage(frame('handleDataRow', mod('pg-protocol', 'dist/parser.js')))).toBe('Prisma/SQL');
    expect(frameStage(frame('findMany', mod('@prisma/client', 'runtime/client.js')))).toBe('Prisma/SQL');
    expect(frameStage(frame('connect', mod('pg-pool')))).toBe('context');
    expect(frameStage(frame('inTenant', src('db/context.ts')))).toBe('context');
    expect(frameStage(frame('consume', mod('rate-limiter-flexible', 'lib/RateLimiterMemory.js')))).toBe('rate limit');
    expect(frameStage(frame('write', mod('pino', 'lib/proto.js')))).toBe('logging/metrics');
    expect(frameStage(frame('observe', mod('prom-client', 'lib/histogram.js')))).toBe('logging/metrics');
    expect(frameStage(frame('redact', mod('@pinojs/redact')))).toBe('logging/metrics');
    expect(frameStage(frame('stringify'))).toBe('serialisation');
    expect(frameStage(frame('dispatch', mod('hono', 'dist/compose.js')))).toBe('other');
    expect(frameStage(frame('list', src('services/students.ts')))).toBe('other');
    expect(frameStage(frame('writeGeneric', 'node:internal/stream_base_commons'))).toBe('neutral');
    expect(frameStage(frame('(garbage collector)'))).toBe('node internals/GC');
  });

  it('gives a sample to the innermost frame of a stage, skipping node internals', () => {
    const pgWrite = [frame('writev', 'node:net'), frame('send', mod('pg', 'lib/connection.js'))];
    // pg under Prisma is query time; pg called from the context code is the transaction's cost.
    expect(
      stackStage([...pgWrite, frame('query', mod('@prisma/adapter-pg')), frame('run', src('db/context.ts'))]),
    ).toBe('Prisma/SQL');
    expect(stackStage([...pgWrite, frame('begin', src('db/context.ts'))])).toBe('context');
    // Prisma's queries reach the driver through the pinned pool: still query time.
    const viaPin = [...pgWrite, frame('query', src('db/pinned-clients.ts')), frame('run', src('db/context.ts'))];
    expect(stackStage(viaPin)).toBe('Prisma/SQL');
    // A middleware's own frame does not absorb what the handler below it does.
    expect(
      stackStage([frame('list', src('services/students.ts')), frame('auth', src('http/middleware/auth.ts'))]),
    ).toBe('other');
    expect(stackStage([frame('readSync', 'node:fs'), frame('', 'node:internal/main')])).toBe('node internals/GC');
  });

  it('counts only the samples inside the windows and divides by their requests', () => {
    const profile = profileOf(
      {
        '(root)': { frame: frame('(root)'), children: ['handler', '(idle)', '(garbage collector)'] },
        '(idle)': { frame: frame('(idle)') },
        '(garbage collector)': { frame: frame('(garbage collector)') },
        handler: { frame: frame('handle', mod('hono', 'dist/hono-base.js')), children: ['verify', 'query', 'json'] },
        verify: { frame: frame('jwtVerify', mod('jose')), children: ['subtle'] },
        subtle: { frame: frame('verify', 'node:internal/crypto/webcrypto') },
        query: { frame: frame('findMany', mod('@prisma/client')) },
        json: { frame: frame('stringify') },
      },
      [
        ['query', 1000], // t = 1.001 s: before the window
        ['verify', 1000], // 1.002: window starts here
        ['subtle', 1000],
        ['query', 1000],
        ['query', 1000],
        ['json', 1000],
        ['(idle)', 1000],
        ['(garbage collector)', 1000],
        ['handler', 1000], // 1.009: window ends here
        ['verify', 1000], // 1.010: after
      ],
    );
    const b = stageBreakdown(profile, [{ startUs: 1_002_000, endUs: 1_009_000, requests: 4 }]);
    expect(b.requests).toBe(4);
    expect(b.usPerReq.token).toBe(500); // 2 ms / 4
    expect(b.usPerReq['Prisma/SQL']).toBe(500);
    expect(b.usPerReq.serialisation).toBe(250);
    expect(b.usPerReq['node internals/GC']).toBe(250);
    expect(b.usPerReq.other).toBe(250);
    expect(b.usPerReq.validation).toBe(0);
    expect(b.totalUsPerReq).toBe(1750); // idle excluded
    expect(b.pct.token).toBe(28.6); // 2 of 7 sampled ms
  });

  it('scales the sampled shares to the main thread CPU time the kernel counted', () => {
    const profile = profileOf(
      {
        '(root)': { frame: frame('(root)'), children: ['verify', 'query'] },
        verify: { frame: frame('jwtVerify', mod('jose')) },
        query: { frame: frame('query', mod('pg', 'lib/client.js')) },
      },
      [
        ['verify', 1000],
        ['query', 1000],
        ['query', 1000],
        ['query', 1000],
      ],
    );
    // 4 ms sampled (wall clock, the thread waited for a core half the time), 2 ms of CPU, 2 requests.
    const windows = [
      { startUs: 1_000_500, endUs: 1_002_500, requests: 1, mainThreadCpuUs: 1000 },
      { startUs: 1_002_500, endUs: 1_004_500, requests: 1, mainThreadCpuUs: 1000 },
    ];
    const b = stageBreakdown(profile, windows);
    expect(b.sampledUsPerReq).toBe(2000);
    expect(b.totalUsPerReq).toBe(1000);
    expect(b.usPerReq.token).toBe(250);
    expect(b.usPerReq['Prisma/SQL']).toBe(750);
  });
});
