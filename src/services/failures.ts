/**
 * How the HTTP layer learns what a failure from below means (database unreachable or timed
 * out → service_unavailable; a refused tenant context → unauthorized / tenant_suspended)
 * without importing the database layer itself.
 */
export { translateDbFailure as classifyFailure } from '../db/context.js';
