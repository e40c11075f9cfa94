import { performance } from 'node:perf_hooks';

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}

/** Nearest-rank percentile of an unsorted sample (0 for an empty one). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export const median = (values: number[]): number => percentile(values, 50);

export function summarize(values: number[]): Summary {
  const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0;
  return { n: values.length, p50: percentile(values, 50), p99: percentile(values, 99), mean };
}

export const ratio = (a: number, b: number): number => (b > 0 ? a / b : Number.NaN);

export const fmt = (n: number, digits = 3): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : 'n/a';

export function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Paired latency sampling: every iteration draws one input and runs each probe on it in a
 * rotating order, so slow drifts of a noisy machine hit all probes alike. A probe stops
 * taking part once it has spent its time budget (slow variants get fewer samples).
 */
export async function pairedSamples<P>(
  probes: { name: string; run: (input: P) => Promise<number> }[],
  opts: { iterations: number; budgetMs: number; draw: () => P },
): Promise<Map<string, number[]>> {
  const samples = new Map(probes.map((p) => [p.name, [] as number[]]));
  const spent = new Map(probes.map((p) => [p.name, 0]));
  for (let i = 0; i < opts.iterations; i++) {
    const input = opts.draw();
    const active = probes.filter((p) => spent.get(p.name)! < opts.budgetMs);
    if (active.length === 0) break;
    for (let k = 0; k < active.length; k++) {
      const probe = active[(i + k) % active.length]!;
      const t0 = performance.now();
      samples.get(probe.name)!.push(await probe.run(input));
      spent.set(probe.name, spent.get(probe.name)! + performance.now() - t0);
    }
  }
  return samples;
}

/**
 * Throughput in rounds: in each round every probe gets the same window with `workers`
 * concurrent loops (probe order rotates per round). Returns operations/s per round.
 */
export async function throughputRounds<W>(
  probes: { name: string; run: (worker: W) => Promise<void> }[],
  opts: { rounds: number; windowMs: number; workers: W[] },
): Promise<Map<string, number[]>> {
  const rates = new Map(probes.map((p) => [p.name, [] as number[]]));
  for (let r = 0; r < opts.rounds; r++) {
    for (let k = 0; k < probes.length; k++) {
      const probe = probes[(r + k) % probes.length]!;
      const start = performance.now();
      const deadline = start + opts.windowMs;
      let done = 0;
      await Promise.all(
        opts.workers.map(async (w) => {
          while (performance.now() < deadline) {
            await probe.run(w);
            done++;
          }
        }),
      );
      rates.get(probe.name)!.push((done * 1000) / (performance.now() - start));
    }
  }
  return rates;
}

export async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await fn();
  return [value, performance.now() - t0];
}
