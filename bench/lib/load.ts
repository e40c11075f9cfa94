import autocannon from 'autocannon';
import type { Scenario } from './scenarios.js';
import type { TenantFixture } from './seed.js';

export interface RunResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connection errors + timeouts + non-2xx responses: anything above zero fails the bench. */
  errors: number;
  requests: number;
  /** Server CPU time (all threads) per completed request, in µs: less sensitive to machine noise than req/s. */
  cpuUsPerReq: number;
  statusCodes: Record<string, number>;
  /** The first non-2xx answer seen, for the failure message. */
  sample?: string;
}

let current: autocannon.Instance | undefined;

/** Stops a running load (SIGINT). */
export function stopLoad(): void {
  current?.stop();
}

export async function runLoad(opts: {
  baseUrl: string;
  cpuMs: () => number;
  scenario: Scenario;
  fixtures: TenantFixture[];
  connections: number;
  durationS: number;
}): Promise<RunResult> {
  let sample: string | undefined;
  const request: autocannon.Request = {
    ...opts.scenario.request(opts.fixtures),
    onResponse: (status, body) => {
      if ((status < 200 || status > 299) && sample === undefined) sample = `${status} ${String(body).slice(0, 300)}`;
    },
  };
  const cpuBefore = opts.cpuMs();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    current = autocannon(
      {
        url: opts.baseUrl,
        connections: opts.connections,
        duration: opts.durationS,
        requests: [request],
        timeout: 10,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  }).finally(() => {
    current = undefined;
  });
  const cpuMs = opts.cpuMs() - cpuBefore;
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = stat.count ?? 0;
  const ok = result['2xx'];
  return {
    rps: ok / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.non2xx,
    requests: ok + result.non2xx,
    cpuUsPerReq: ok + result.non2xx > 0 ? (cpuMs * 1000) / (ok + result.non2xx) : Number.NaN,
    statusCodes,
    sample,
  };
}

/** A round fails on any error or non-2xx; the message names what failed and how. */
export function assertClean(server: string, scenario: string, phase: string, r: RunResult): void {
  if (r.errors === 0 && r.requests > 0) return;
  const codes = Object.entries(r.statusCodes)
    .map(([code, n]) => `${code}×${n}`)
    .join(', ');
  throw new Error(
    `${server} / ${scenario} (${phase}): ${r.errors} errors of ${r.requests} requests; status codes: ${codes || 'none'}` +
      (r.sample ? `; first non-2xx: ${r.sample}` : ''),
  );
}
