import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { auditReason, headerText } from '../domain/audit.js';
import type { ActorRef, AuditIntent, AuditLocation, PlatformActor } from '../services/audit.js';
import type { AppEnv } from './types.js';

/**
 * Where an id is found: a path parameter, a field of the response body (the change's result,
 * dotted path), the caller, the caller's tenant, or nowhere.
 */
export type IdSource = `param:${string}` | `body:${string}` | 'caller' | 'tenant' | 'none';

interface DataInput {
  /** The request's JSON body (undefined without one). */
  body: unknown;
  params: Record<string, string>;
  query: Record<string, string>;
  /** The response body: the change's result. */
  result: unknown;
}

/**
 * The audit entry a write route leaves, declared beside the route (`defineRoute`, `audit`).
 * A tenant request writes it on the request's transaction after a successful handler, before
 * the commit; a platform admin's request hands it to the platform service, whose transaction
 * writes it into the target tenant's log before its commit. Either way the change and its
 * entry commit together.
 */
export interface AuditRule {
  /** Stable, `<target>.<past participle>`: `student.created`. */
  readonly action: string;
  /** What was acted on: `student`, `tenant` … */
  readonly target: string;
  /** The target's id; by default the `id` path parameter, else the response's `id`. */
  readonly id?: IdSource;
  /** Platform and public actions: the tenant whose log gets the entry; by default the `id` path parameter. */
  readonly tenant?: IdSource;
  /** A public route's actor, named by the change (a registration's new admin: `body:admin.id`). */
  readonly actor?: IdSource;
  /**
   * What the entry's data holds. By default the names of the fields a PATCH sent (never their
   * values: a body may hold a password), else nothing.
   */
  readonly data?: (input: DataInput) => Record<string, unknown>;
}

function pick(
  source: IdSource,
  params: Record<string, string>,
  result: unknown,
  caller: string | null,
  tenant?: string,
) {
  if (source === 'none') return null;
  if (source === 'caller') return caller;
  if (source === 'tenant') return tenant ?? null;
  const [where, path] = [source.slice(0, source.indexOf(':')), source.slice(source.indexOf(':') + 1)];
  if (where === 'param') return params[path] ?? null;
  const value = path
    .split('.')
    .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as never)[k] : undefined), result);
  return typeof value === 'string' ? value : null;
}

const fieldNames = (body: unknown) => (body && typeof body === 'object' ? { fields: Object.keys(body).sort() } : {});

async function jsonBodyOf(c: Context<AppEnv>): Promise<unknown> {
  if (!/json/i.test(c.req.header('content-type') ?? '')) return undefined;
  return c.req.json().catch(() => undefined);
}

/**
 * Builds the request's audit intent from the route's rule (and, for platform admins, the
 * validated X-Audit-Reason, required when REQUIRE_AUDIT_REASON is set), before the handler runs.
 * A platform request also gets its actor (`c.get('actor')`), which the handler passes to the
 * platform service. After the handler, a successful platform change that wrote no entry is
 * logged as the programming error it is.
 */
export const auditIntent = (rule: AuditRule) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const principal = c.get('principal') as AppEnv['Variables']['principal'] | undefined;
    const platform = principal?.kind === 'platform';
    const caller = principal?.userId ?? null;
    const header = c.req.header('x-audit-reason');
    const reason = platform
      ? auditReason(header === undefined ? undefined : headerText(header), c.get('services').audit.requireReason)
      : null;
    const params = c.req.param() as Record<string, string>;
    const query = c.req.query();
    const body = await jsonBodyOf(c);
    const method = c.req.method;
    const intent: AuditIntent = {
      action: rule.action,
      targetType: rule.target,
      actorId: caller,
      actorType: platform ? 'platform_admin' : 'user',
      requestId: c.get('requestId'),
      reason,
      written: false,
      locate(result): AuditLocation {
        const own = principal?.kind === 'tenant' ? principal.tenantId : undefined;
        const id = rule.id ?? (params.id !== undefined ? 'param:id' : 'body:id');
        return {
          tenantId: own ?? pick(rule.tenant ?? 'param:id', params, result, caller),
          actorId: rule.actor ? pick(rule.actor, params, result, caller) : caller,
          targetId: pick(id, params, result, caller, own),
          data: rule.data ? rule.data({ body, params, query, result }) : method === 'PATCH' ? fieldNames(body) : {},
        };
      },
    };
    c.set('audit', intent);
    if (!principal || platform) c.set('actor', { adminId: caller, audit: intent });
    // The change's result is the object the handler answers with; keeping it here spares reading
    // the response body back, which would also take @hono/node-server off its direct write path.
    const json = c.json;
    c.json = ((value: unknown, ...rest: unknown[]) => {
      intent.answered = { value };
      return (json as (...args: unknown[]) => Response)(value, ...rest);
    }) as typeof c.json;
    await next();
    if (principal?.kind !== 'tenant' && !intent.written && !c.error && c.res.status < 400) {
      c.get('logger').error({ action: rule.action }, 'an audited change wrote no audit entry');
    }
  });

/** The acting platform admin for a platform service: with the route's audit intent when it has one. */
export const actorOf = (vars: { actor?: PlatformActor; principal: { userId: string } }): ActorRef =>
  vars.actor ?? vars.principal.userId;
