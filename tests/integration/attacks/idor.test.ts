import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { describe, expect, it } from 'vitest';
import { openAttackWorld, snapshot, type World } from '../../support/attack-fixtures.js';
import { documentedOperations, type OpenApiDocument } from '../../support/attack-routes.js';
import { comparable, expectProblem } from '../../support/http-fixtures.js';

// The routes come from the served OpenAPI document, so a new route with an id is attacked
// as soon as it exists (and fails until KINDS says what its id names).
const { srv, worlds } = await openAttackWorld(2);
const [a, b] = worlds as [World, World];
const { doc, ops } = await documentedOperations(srv);

type Kind = 'student' | 'user' | 'course' | 'enrollment' | 'platform' | 'own-tenant';
/** What each id-route's path names. First match wins; a route matching none fails the test. */
const KINDS: [RegExp, Kind][] = [
  [/^\/api\/v1\/tenants\/\{id\}\/export$/, 'own-tenant'], // a tenant admin may export its own tenant only
  [
    /^\/api\/v1\/tenants\/\{id\}(\/(suspend|reactivate|restore|purge|usage|signing-key\/rotate|signing-key\/revoke))?$/,
    'platform',
  ],
  [/^\/api\/v1\/events\/\{id\}\/retry$/, 'platform'],
  [/^\/api\/v1\/students\/\{id\}$/, 'student'],
  [/^\/api\/v1\/users\/\{id\}$/, 'user'],
  [/^\/api\/v1\/courses\/\{id\}(\/enrollments)?$/, 'course'],
  [/^\/api\/v1\/courses\/\{id\}\/enrollments\/\{studentId\}$/, 'enrollment'],
];
/** A world's real resource of each kind, as path parameters. */
const PARAMS: Record<Kind, (w: World) => Record<string, string>> = {
  student: (w) => ({ id: w.student.id }),
  user: (w) => ({ id: w.staff.id }),
  course: (w) => ({ id: w.course.id }),
  enrollment: (w) => ({ id: w.enrollment.courseId, studentId: w.enrollment.studentId }),
  platform: (w) => ({ id: w.tenant.id }),
  'own-tenant': (w) => ({ id: w.tenant.id }),
};

type Schema = {
  $ref?: string;
  type?: string | string[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  format?: string;
  minLength?: number;
  minimum?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  minItems?: number;
};

/** A plausible, valid body for a documented schema: every property filled, ids are A's own. */
function sample(s: Schema, d: OpenApiDocument): unknown {
  if (s.$ref) return sample((d.components?.schemas?.[s.$ref.split('/').pop() ?? ''] ?? {}) as Schema, d);
  const alt = s.anyOf ?? s.oneOf;
  if (alt) return sample(alt.find((x) => x.type !== 'null') ?? {}, d);
  if (s.enum) return s.enum[0];
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (type === 'object' || s.properties) {
    return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, v]) => [k, sample(v, d)]));
  }
  if (type === 'array') return Array.from({ length: s.minItems ?? 1 }, () => sample(s.items ?? {}, d));
  if (type === 'integer' || type === 'number') return Math.max(s.minimum ?? 1, 1);
  if (type === 'boolean') return false;
  if (s.format === 'email') return `idor-${randomBytes(4).toString('hex')}@evil.test`;
  if (s.format === 'uuid') return a.student.id;
  if (s.format === 'date') return '2001-02-03';
  return `Mallory-${randomBytes(4).toString('hex')}`.padEnd(s.minLength ?? 0, 'x');
}

const fill = (path: string, params: Record<string, string>) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? `<missing ${name}>`);

const idRoutes = ops.filter((o) => o.op.parameters?.some((p) => p.in === 'path'));

describe('IDOR on every documented route with an id', () => {
  it('when the document is read, then it lists the id-routes (the generator is not vacuous)', () => {
    expect(idRoutes.length).toBeGreaterThanOrEqual(15);
  });

  for (const { method, path, op } of idRoutes) {
    it(`when tenant A calls ${method} ${path} with B's ids or random ids, then identical refusals and B unchanged`, async () => {
      const kind = KINDS.find(([re]) => re.test(path))?.[1];
      expect(kind, `${method} ${path} has an id: add it to KINDS/PARAMS in idor.test.ts`).toBeDefined();
      if (!kind) return;
      const names = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const own = PARAMS[kind](a);
      expect(
        names.filter((n) => !(n in own)),
        `PARAMS.${kind} lacks path parameters`,
      ).toEqual([]);
      const json = op.requestBody?.content['application/json'];
      const body = json ? sample(json.schema as Schema, doc) : undefined;
      const [status, code] = kind === 'platform' ? [403, 'forbidden'] : [404, 'not_found'];

      // All ids B's, then (for routes with several ids) one at a time with the others A's own.
      const variants = [names, ...(names.length > 1 ? names.map((n) => [n]) : [])];
      for (const swapped of variants) {
        const foreign = { ...own, ...Object.fromEntries(swapped.map((n) => [n, PARAMS[kind](b)[n] ?? ''])) };
        const missing = { ...own, ...Object.fromEntries(swapped.map((n) => [n, uuidv7()])) };
        const before = await snapshot(srv, b);
        const token = a.tenant.token;
        const f = await srv.call(method, fill(path, foreign), { token, body });
        const m = await srv.call(method, fill(path, missing), { token, body });
        const fb = await expectProblem(f, status, code);
        const mb = await expectProblem(m, status, code);
        expect(comparable(fb), `${swapped.join('+')} of B vs random`).toEqual(comparable(mb));
        expect(await snapshot(srv, b)).toEqual(before);
      }
    });
  }
});
