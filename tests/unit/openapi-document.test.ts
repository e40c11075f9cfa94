import { z } from '@hono/zod-openapi';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { PLANS } from '../../src/domain/tenant/plans.js';
import { access, defineRoute } from '../../src/http/access.js';
import type { AppServices } from '../../src/http/types.js';

/**
 * What outside tools (linters, generated clients, the reference page) need from every
 * operation, checked on the document the app serves. A route declared without one of these
 * fails here (or earlier, in defineRoute's types and checks).
 */

type Schema = Record<string, unknown>;
interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  'x-roles'?: string[];
  requestBody?: { content: Record<string, { example?: unknown; examples?: unknown }> };
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema: Schema }> }>;
}
interface Document {
  info: { license?: { name: string }; contact?: { name: string } };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes?: Record<string, unknown> };
}

const TENANT_ROLES = ['tenant_admin', 'staff', 'viewer'];
let doc: Document;
let ops: { name: string; op: Operation }[];

beforeAll(async () => {
  const app = createApp({ services: {} as AppServices, logger: pino({ enabled: false }) });
  doc = (await (await app.request('/openapi.json')).json()) as Document;
  ops = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
  );
});

/** Every schema object under a node, with the property name it sits under. */
function* walk(node: unknown, key = ''): Generator<[string, Schema]> {
  if (Array.isArray(node)) for (const item of node) yield* walk(item, key);
  else if (node && typeof node === 'object') {
    yield [key, node as Schema];
    for (const [k, v] of Object.entries(node)) yield* walk(v, k === 'properties' || k === 'items' ? key : k);
  }
}

describe('the OpenAPI document', () => {
  it('when served, then it has operations to check', () => {
    expect(ops.length).toBeGreaterThan(30);
  });

  it('when an operation is listed, then it has a unique operationId, a summary and declared, described tags', () => {
    const declared = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    const problems = ops.flatMap(({ name, op }) => [
      ...(op.operationId ? [] : [`${name}: no operationId`]),
      ...(op.summary?.trim() ? [] : [`${name}: no summary`]),
      ...(op.tags?.length ? [] : [`${name}: no tag`]),
      ...(op.tags ?? [])
        .filter((t) => !declared.get(t))
        .map((t) => `${name}: tag "${t}" is not declared with a description`),
    ]);
    expect(problems).toEqual([]);
    const ids = ops.map(({ op }) => op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('when an operation takes a body, then every media type of the body has an example', () => {
    const missing = ops.flatMap(({ name, op }) =>
      Object.entries(op.requestBody?.content ?? {})
        .filter(([, media]) => media.example === undefined && media.examples === undefined)
        .map(([type]) => `${name} ${type}`),
    );
    expect(missing).toEqual([]);
  });

  it('when a tenant user may call an operation, then its 429 (Retry-After) and RateLimit-* headers are documented', () => {
    const limited = ops.filter(({ op }) => op['x-roles']?.some((r) => TENANT_ROLES.includes(r)));
    expect(limited.length).toBeGreaterThan(20);
    const problems = limited.flatMap(({ name, op }) => {
      const tooMany = op.responses['429'];
      const out = tooMany ? [] : [`${name}: no 429`];
      if (tooMany && !tooMany.headers?.['Retry-After']) out.push(`${name}: 429 without Retry-After`);
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^2\d\d$|^429$/.test(status)) continue;
        for (const h of ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']) {
          if (!response.headers?.[h]) out.push(`${name} ${status}: no ${h}`);
        }
      }
      return out;
    });
    expect(problems).toEqual([]);
  });

  it('when an operation is public, then it says so with an empty security list; others name their token schemes', () => {
    const problems = ops.flatMap(({ name, op }) => {
      const roles = op['x-roles'] ?? [];
      const expected = roles.includes('anonymous')
        ? []
        : [
            ...(roles.some((r) => TENANT_ROLES.includes(r)) ? [{ bearerAuth: [] }] : []),
            ...(roles.includes('platform_admin') ? [{ platformAuth: [] }] : []),
          ];
      return JSON.stringify(op.security) === JSON.stringify(expected) && Array.isArray(op.security)
        ? []
        : [`${name}: security ${JSON.stringify(op.security)}`];
    });
    expect(problems).toEqual([]);
    expect(Object.keys(doc.components.securitySchemes ?? {}).sort()).toEqual(['bearerAuth', 'platformAuth']);
  });

  it('when the document is read, then it names its servers, licence and contact', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.info.license?.name).toBeTruthy();
    expect(doc.info.contact?.name).toBeTruthy();
  });

  it('when a timestamp is returned, then it is a date-time; roles, plans and statuses are enums', () => {
    const problems: string[] = [];
    for (const [key, schema] of walk(doc)) {
      if (schema.type !== 'string' && !(Array.isArray(schema.type) && schema.type.includes('string'))) continue;
      if (/At$/.test(key) && schema.format !== 'date-time') problems.push(`${key}: ${JSON.stringify(schema)}`);
      if (/^(role|plan|status)$/.test(key) && !schema.enum && schema.const === undefined) {
        problems.push(`${key}: ${JSON.stringify(schema)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(JSON.stringify(doc.components.schemas.Tenant)).toContain(JSON.stringify([...PLANS]));
  });

  it('when /me is described, then only the platform admin branch has a null tenant, and Tenant is never nullable', () => {
    for (const [, schema] of walk(doc.components.schemas.Tenant)) {
      expect(schema.nullable).toBeUndefined();
      expect(Array.isArray(schema.type) && schema.type.includes('null')).toBe(false);
    }
    const tenantRefs = [...walk(doc)].filter(([, s]) => s.$ref === '#/components/schemas/Tenant');
    expect(tenantRefs.length).toBeGreaterThan(0);
    const nullableTenant = [...walk(doc)].filter(
      ([, s]) =>
        Array.isArray(s.anyOf ?? s.oneOf) &&
        ((s.anyOf ?? s.oneOf) as Schema[]).some((x) => x.$ref === '#/components/schemas/Tenant') &&
        ((s.anyOf ?? s.oneOf) as Schema[]).some((x) => x.type === 'null'),
    );
    expect(nullableTenant).toEqual([]);
    const me = JSON.stringify(doc.components.schemas.PlatformAdminMe);
    expect(me).toContain('"tenant":{"type":"null"}');
    expect(JSON.stringify(doc.components.schemas.TenantUserMe)).toContain(
      '"tenant":{"$ref":"#/components/schemas/Tenant"}',
    );
  });
});

describe('defineRoute', () => {
  const declaration = (content: { 'application/json'?: { schema: z.ZodType; example?: unknown } }) => ({
    method: 'post' as const,
    path: '/example',
    operationId: 'example',
    summary: 'An example',
    tags: ['Students'] as const,
    request: { body: { required: true, content } },
    responses: { 204: { description: 'Done' } },
  });

  it('when a request body has no example, then declaring the route fails', () => {
    expect(() => defineRoute(access.tenant(), declaration({ 'application/json': { schema: z.object({}) } }))).toThrow(
      /example: the application\/json request body needs an example/,
    );
  });

  it('when a request body has an example, then the route is declared with the 429 its rule implies', () => {
    const route = defineRoute(
      access.tenant(),
      declaration({ 'application/json': { schema: z.object({}), example: {} } }),
    );
    expect(Object.keys(route.responses)).toEqual(['204', '429']);
    expect(Object.keys(defineRoute(access.platform, declaration({})).responses)).toEqual(['204']);
  });
});
