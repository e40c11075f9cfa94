/**
 * Which tenants get a label of their own in the metrics: the `n` with the most requests
 * recently, every other one is `other`, so the label set stays bounded however many tenants
 * exist. Counts decay by half at every re-ranking (every `every` requests), so the ranking
 * follows today's traffic; until the first ranking, the first `n` tenants seen are labelled.
 */
export function createTopTenants(n: number, every = 1000, maxTracked = 10_000) {
  const counts = new Map<string, number>();
  let top = new Set<string>();
  let seen = 0;

  function rerank() {
    const ranked = [...counts].sort((a, b) => b[1] - a[1]);
    top = new Set(ranked.slice(0, n).map(([id]) => id));
    counts.clear();
    for (const [id, count] of ranked.slice(0, maxTracked / 2)) {
      if (count >= 2) counts.set(id, count / 2);
    }
  }

  return {
    /** Counts one request of the tenant and returns its label. */
    label(tenantId: string): string {
      if (n <= 0) return 'other';
      counts.set(tenantId, (counts.get(tenantId) ?? 0) + 1);
      if (++seen % every === 0 || counts.size > maxTracked) rerank();
      else if (top.size < n && !top.has(tenantId) && seen < every) top.add(tenantId);
      return top.has(tenantId) ? tenantId : 'other';
    },
  };
}
