import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import type { ScenarioName } from './args.js';
import type { TenantFixture } from './seed.js';

export interface Scenario {
  name: ScenarioName;
  label: string;
  /** One autocannon request whose setupRequest picks a random tenant (and row) every time. */
  request(fixtures: TenantFixture[]): autocannon.Request;
}

const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const auth = (f: TenantFixture) => ({ authorization: `Bearer ${f.token}` });

// studentNo is unique per tenant and the three servers share one database: one counter per run.
const runTag = randomBytes(3).toString('hex');
let created = 0;

/**
 * A search term that names one seeded student (`First<k>`, seed.ts) and, for k of 10–19, the
 * ten whose number continues it: one to eleven matches among the tenant's students.
 */
export const searchTerm = (f: TenantFixture) =>
  `First${10 + Math.floor(Math.random() * Math.max(1, Math.min(f.studentIds.length, 200) - 10))}`;

export const SCENARIOS: Record<ScenarioName, Scenario> = {
  list: {
    name: 'list',
    label: 'GET /api/v1/students?limit=20',
    request: (fixtures) => ({
      method: 'GET',
      path: '/api/v1/students?limit=20',
      setupRequest: (req) => ({ ...req, headers: { ...req.headers, ...auth(pick(fixtures)) } }),
    }),
  },
  get: {
    name: 'get',
    label: 'GET /api/v1/students/:id',
    request: (fixtures) => ({
      method: 'GET',
      path: '/api/v1/students',
      setupRequest: (req) => {
        const f = pick(fixtures);
        return { ...req, path: `/api/v1/students/${pick(f.studentIds)}`, headers: { ...req.headers, ...auth(f) } };
      },
    }),
  },
  find: {
    name: 'find',
    label: 'GET /api/v1/students?q=First<k>&limit=20',
    request: (fixtures) => ({
      method: 'GET',
      path: '/api/v1/students',
      setupRequest: (req) => {
        const f = pick(fixtures);
        return {
          ...req,
          path: `/api/v1/students?q=${searchTerm(f)}&limit=20`,
          headers: { ...req.headers, ...auth(f) },
        };
      },
    }),
  },
  create: {
    name: 'create',
    label: 'POST /api/v1/students',
    request: (fixtures) => ({
      method: 'POST',
      path: '/api/v1/students',
      setupRequest: (req) => {
        const n = ++created;
        const body = JSON.stringify({ studentNo: `B${runTag}-${n}`, firstName: 'Bench', lastName: `Load${n % 97}` });
        return {
          ...req,
          headers: { ...req.headers, ...auth(pick(fixtures)), 'content-type': 'application/json' },
          body,
        };
      },
    }),
  },
};
