import pg from 'pg';

export interface RecordedStatement {
  text: string;
  values: unknown[];
}

/**
 * Records every statement any pg client of this process sends (the app's pools, Prisma's
 * adapter and the transaction runner all go through pg.Client#query) while recording is on.
 */
export function recordStatements() {
  const statements: RecordedStatement[] = [];
  const original = pg.Client.prototype.query;
  let on = true;
  // biome-ignore lint/suspicious/noExplicitAny: mirrors pg.Client#query's overloads
  pg.Client.prototype.query = function (this: pg.Client, config: any, values?: any, callback?: any): any {
    if (on) {
      const text = typeof config === 'string' ? config : (config?.text as string | undefined);
      const bound = Array.isArray(values) ? values : (config?.values ?? []);
      if (text !== undefined) statements.push({ text, values: bound });
    }
    // biome-ignore lint/suspicious/noExplicitAny: forwarding the same arguments
    return (original as any).call(this, config, values, callback);
  } as typeof original;
  return {
    statements,
    stop() {
      on = false;
      pg.Client.prototype.query = original;
    },
  };
}

/** Where a plan scans a tenant table without a tenant_id = <one value> condition. */
export interface UnroutedScan {
  table: string;
  node: string;
  conditions: string[];
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

const CONDITION_KEYS = ['Index Cond', 'Filter', 'Recheck Cond', 'TID Cond'];
/** tenant_id compared with one constant or parameter: what Citus routes to one shard. */
const TENANT_EQUALS = /\btenant_id\)? = (\$\d+|'[0-9a-f-]{36}'::uuid)/;

function conditionsOf(node: PlanNode): string[] {
  const own = CONDITION_KEYS.map((k) => node[k]).filter((v): v is string => typeof v === 'string');
  // A bitmap heap scan's index conditions sit on its bitmap index scan children.
  const children =
    node['Node Type'] === 'Bitmap Heap Scan' ? (node.Plans ?? []).flatMap((p) => bitmapConditions(p)) : [];
  return [...own, ...children];
}

function bitmapConditions(node: PlanNode): string[] {
  const own = CONDITION_KEYS.map((k) => node[k]).filter((v): v is string => typeof v === 'string');
  return [...own, ...(node.Plans ?? []).flatMap((p) => bitmapConditions(p))];
}

/** Walks an EXPLAIN (FORMAT JSON) plan; every scan of a tenant table must filter tenant_id on one value. */
export function unroutedScans(plan: PlanNode, tenantTables: Set<string>): UnroutedScan[] {
  const found: UnroutedScan[] = [];
  const visit = (node: PlanNode) => {
    const table = node['Relation Name'];
    const isScan = /Scan$/.test(node['Node Type']) && node['Node Type'] !== 'Bitmap Index Scan';
    if (table && isScan && tenantTables.has(table)) {
      const conditions = conditionsOf(node);
      if (!conditions.some((c) => TENANT_EQUALS.test(c))) found.push({ table, node: node['Node Type'], conditions });
    }
    for (const child of node.Plans ?? []) visit(child);
  };
  visit(plan);
  return found;
}

/**
 * On a Citus coordinator the plan is Citus's own: every distributed part of it names how many
 * shard tasks it runs. A statement routed to one shard has one task; anything more fans out.
 * Reported like the scans above, with the tasks' relation names (shard names carry the table's).
 */
export function fannedOutTasks(plan: unknown, tenantTables: Set<string>): UnroutedScan[] {
  const found: UnroutedScan[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as Record<string, unknown>;
    const tasks = node['Task Count'];
    if (typeof tasks === 'number' && tasks > 1) {
      const text = JSON.stringify(node);
      const tables = [...tenantTables].filter((t) => new RegExp(`"${t}(_\\d+)?"`).test(text));
      for (const table of tables.length > 0 ? tables : ['(distributed plan)'])
        found.push({ table, node: `Citus job of ${tasks} tasks`, conditions: [] });
    }
    for (const v of Object.values(node)) visit(v);
  };
  visit(plan);
  return found;
}
