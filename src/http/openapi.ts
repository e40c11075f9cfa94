import { OpenAPIHono, z } from '@hono/zod-openapi';
import { AUDIT_REASON_MAX } from '../domain/audit.js';
import { Errors, type FieldIssue } from '../domain/errors.js';
import type { AppEnv } from './types.js';

type ZodIssueLike = { path: PropertyKey[]; message: string; code?: string; keys?: string[] };

export function issuesOf(error: { issues: ZodIssueLike[] }): FieldIssue[] {
  return error.issues.flatMap((i) => {
    const base = i.path.map(String).join('.');
    if (i.code === 'unrecognized_keys' && i.keys) {
      return i.keys.map((k) => ({ path: base ? `${base}.${k}` : k, message: 'unknown field' }));
    }
    return [{ path: base, message: i.message }];
  });
}

/** A router whose validation failures all become 400 validation_failed problems. */
export function createRouter<E extends AppEnv = AppEnv>() {
  return new OpenAPIHono<E>({
    strict: false,
    defaultHook: (result) => {
      if (!result.success) {
        const issues = issuesOf(result.error as unknown as { issues: ZodIssueLike[] });
        throw Errors.validation(
          `invalid request: ${issues.map((i) => `${i.path || '(body)'} ${i.message}`).join('; ')}`,
          issues,
        );
      }
    },
  });
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// PostgreSQL text cannot hold NUL, and a lone UTF-16 surrogate has no UTF-8 form (it would be
// stored as U+FFFD): refuse both at the edge with a clear message instead of a 500 or a
// silently altered value.
export const text = (max = 200) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be valid Unicode (no lone surrogates)');

export const nonEmpty = (max = 200) => text(max).refine((s) => s.trim().length > 0, 'must not be empty');

/** A UUID, with its length stated for tools that want every string bounded. */
export const uuid = () => z.uuid().openapi({ maxLength: 36 });

/** A timestamp as the API writes it (ISO 8601, UTC). */
export const dateTime = () => z.iso.datetime();

export const IdParam = z.strictObject({ id: uuid().openapi({ param: { name: 'id', in: 'path' } }) });

/**
 * Platform actions on a tenant: the reason recorded with the action in that tenant's audit log.
 * Checked (trimmed, UTF-8, no control characters, at most AUDIT_REASON_MAX characters; required
 * when the server runs with REQUIRE_AUDIT_REASON=true) before the route's own validation; the
 * bound here is on the header's bytes.
 */
export const AuditReasonHeader = z.object({
  'x-audit-reason': z
    .string()
    .max(AUDIT_REASON_MAX * 4)
    .optional()
    .openapi({
      param: { in: 'header' },
      description:
        `Why a platform admin acts (at most ${AUDIT_REASON_MAX} characters, UTF-8, no control characters); ` +
        "recorded with the action in the tenant's audit log. Required (400 without it) when the server runs " +
        'with REQUIRE_AUDIT_REASON=true.',
      example: 'Support ticket 4711: the school asked for a suspension',
    }),
});

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20).openapi({ example: 20, format: 'int32' }),
  cursor: text(200).optional(),
};

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Problem } },
});

/** Spread into every route's responses. */
export const errorResponses = {
  400: problemResponse('Invalid input'),
  401: problemResponse('Missing, invalid or expired token'),
  403: problemResponse('Not allowed (role, tenant mismatch, suspended tenant, quota)'),
  404: problemResponse('Not found (also: belongs to another tenant)'),
  409: problemResponse('Conflict'),
  413: problemResponse('Body too large'),
  415: problemResponse('Body is not JSON'),
  500: problemResponse('Unexpected error'),
  503: problemResponse('Database unavailable'),
} as const;

/**
 * A required JSON body with its example (every operation's body has one, for the reference
 * page and generated clients); an example the schema refuses fails at start.
 */
export const jsonBody = <T extends z.ZodType>(schema: T, example: z.input<T>) => {
  const checked = schema.safeParse(example);
  if (!checked.success) throw new Error(`a request body example is invalid: ${checked.error.message}`);
  return { required: true, content: { 'application/json': { schema, example } } };
};

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });
