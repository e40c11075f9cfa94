import { describe, expect, it } from 'vitest';
import { assertCapacityFits, assertSeatFree } from '../../src/domain/courses.js';
import { DomainError } from '../../src/domain/errors.js';
import { domainEvent, isEventType } from '../../src/domain/events.js';
import {
  applyOverrides,
  canonicalPlan,
  effectiveFeatures,
  effectiveLimits,
  limitsExceeded,
  PLAN_LIMITS,
} from '../../src/domain/tenant/plans.js';
import { assertQuota } from '../../src/domain/tenant/quotas.js';
import { assertRestorable, purgeAfter, transition } from '../../src/domain/tenant/status.js';
import { createTenant } from '../../src/domain/tenant/tenant.js';
import { assertNotSelf, NO_PASSWORD, normaliseEmail } from '../../src/domain/users.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
};

describe('plans', () => {
  it('when a tenant has no overrides, then its limits are its plan’s', () => {
    expect(effectiveLimits('premium', {})).toEqual(PLAN_LIMITS.premium);
  });

  it('when a stored plan has an old name, then it counts as the plan it became', () => {
    expect(canonicalPlan('free')).toBe('basic');
    expect(canonicalPlan('standard')).toBe('premium');
    expect(canonicalPlan('gold')).toBeUndefined();
    expect(effectiveLimits('standard', {})).toEqual(PLAN_LIMITS.premium);
  });

  it('when a custom plan has overrides, then they are its limits; without them it has the base limits and no optional feature', () => {
    expect(effectiveLimits('custom', { maxStudents: 42, maxCourses: 7 })).toMatchObject({
      maxStudents: 42,
      maxCourses: 7,
    });
    expect(effectiveLimits('custom', {})).toEqual(PLAN_LIMITS.basic);
    expect(effectiveFeatures('custom', {})).toEqual({ bulkCreate: false, export: false });
    expect(effectiveFeatures('custom', { export: true, other: 1 })).toEqual({ bulkCreate: false, export: true });
  });

  it('when a feature is overridden, then the override wins over the plan default; non-booleans are ignored', () => {
    expect(effectiveFeatures('premium', { bulkCreate: false, export: 'no' })).toEqual({
      bulkCreate: false,
      export: true,
    });
  });

  it('when overrides are patched, then values replace, null removes, and other stored keys stay', () => {
    expect(applyOverrides({ maxStudents: 3, maxUsers: 9 }, { maxStudents: null, maxCourses: 4 })).toEqual({
      maxUsers: 9,
      maxCourses: 4,
    });
    expect(applyOverrides(null, { export: false })).toEqual({ export: false });
  });

  it('when usage is over a new limit, then each exceeded counted limit is named with its usage and limit', () => {
    const limits = { ...PLAN_LIMITS.basic, maxStudents: 10, maxCourses: 3 };
    expect(limitsExceeded(limits, { users: 5, students: 11, courses: 3 })).toEqual([
      { limit: 'maxStudents', used: 11, max: 10 },
    ]);
    expect(limitsExceeded(limits, { users: 5, students: 10, courses: 3 })).toEqual([]);
  });

  it('when overrides are numbers, then they replace the plan’s; anything else is ignored', () => {
    expect(effectiveLimits('basic', { maxStudents: 3, maxUsers: '9', requestsPerMinute: null })).toEqual({
      ...PLAN_LIMITS.basic,
      maxStudents: 3,
    });
  });

  it('when the plan is unknown, then the basic plan’s limits apply', () => {
    expect(effectiveLimits('gold', null)).toEqual(PLAN_LIMITS.basic);
  });
});

describe('quotas', () => {
  const usage = (used: number, limits: object = { maxStudents: 10, maxUsers: 2 }) => ({ plan: 'basic', limits, used });

  it('when the create stays within the limit, then it is allowed, up to the limit itself', () => {
    expect(codeOf(() => assertQuota('students', usage(9), 1))).toBeUndefined();
    expect(codeOf(() => assertQuota('students', usage(0), 10))).toBeUndefined();
  });

  it('when the create would pass the limit, then quota_exceeded, also for a batch that only partly fits', () => {
    expect(codeOf(() => assertQuota('students', usage(10), 1))).toBe('quota_exceeded');
    expect(codeOf(() => assertQuota('students', usage(5), 6))).toBe('quota_exceeded');
    expect(codeOf(() => assertQuota('users', usage(2), 1))).toBe('quota_exceeded');
  });

  it('when a quota is refused, then the message names the resource and its limit', () => {
    expect(() => assertQuota('users', usage(2), 1)).toThrow('plan limit reached: at most 2 users');
  });
});

describe('tenant status transitions', () => {
  it('when an active tenant is suspended, or a suspended one reactivated, then the status changes', () => {
    expect(transition('active', 'suspend')).toBe('suspended');
    expect(transition('suspended', 'reactivate')).toBe('active');
  });

  it('when the transition does not apply to the current status, then invalid_transition naming it', () => {
    expect(codeOf(() => transition('suspended', 'suspend'))).toBe('invalid_transition');
    expect(codeOf(() => transition('active', 'reactivate'))).toBe('invalid_transition');
    expect(() => transition('suspended', 'suspend')).toThrow(/suspended/);
    expect(() => transition('deleted', 'suspend')).toThrow(/deleted/);
    expect(codeOf(() => transition('active', 'restore'))).toBe('invalid_transition');
  });

  it('when a tenant is deleted, then only restore leads back, and only before the grace period ends', () => {
    expect(transition('active', 'delete')).toBe('deleted');
    expect(transition('suspended', 'delete')).toBe('deleted');
    expect(transition('deleted', 'restore')).toBe('active');
    const deletedAt = new Date('2026-01-01T00:00:00Z');
    const until = purgeAfter(deletedAt, 30);
    expect(until.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(() => assertRestorable(until, new Date('2026-01-30T23:59:59Z'))).not.toThrow();
    expect(codeOf(() => assertRestorable(until, until))).toBe('invalid_transition');
  });
});

describe('course capacity', () => {
  it('when a course has a free seat or no capacity, then an enrollment fits', () => {
    expect(codeOf(() => assertSeatFree(2, 1))).toBeUndefined();
    expect(codeOf(() => assertSeatFree(null, 10_000))).toBeUndefined();
  });

  it('when the course is full, then conflict', () => {
    expect(codeOf(() => assertSeatFree(2, 2))).toBe('conflict');
    expect(codeOf(() => assertSeatFree(0, 0))).toBe('conflict');
  });

  it('when a capacity is cut below the enrolled count, then conflict; to exactly the count, then fine', () => {
    expect(codeOf(() => assertCapacityFits(1, 2))).toBe('conflict');
    expect(codeOf(() => assertCapacityFits(2, 2))).toBeUndefined();
    expect(codeOf(() => assertCapacityFits(null, 2))).toBeUndefined();
  });
});

describe('users', () => {
  it('when an email has capitals, then it is stored lower-case', () => {
    expect(normaliseEmail('Ada.Lovelace@School.TEST')).toBe('ada.lovelace@school.test');
  });

  it('when an admin acts on their own user, then conflict; on another, then fine', () => {
    expect(codeOf(() => assertNotSelf('u1', 'u1', 'delete'))).toBe('conflict');
    expect(codeOf(() => assertNotSelf('u1', 'u2', 'delete'))).toBeUndefined();
  });

  it('when a user has no password, then the marker is no possible argon2 hash', () => {
    expect(NO_PASSWORD.startsWith('$argon2')).toBe(false);
  });
});

describe('tenant creation and events', () => {
  it('when a tenant is created, then it is active and TenantCreated carries its id, slug, plan and admin', () => {
    const { tenant, event } = createTenant({ name: 'School', slug: 'school', plan: 'basic', adminUserId: 'admin-1' });
    expect(tenant).toMatchObject({ slug: 'school', name: 'School', status: 'active' });
    expect(event).toMatchObject({
      type: 'TenantCreated',
      tenantId: tenant.id,
      payload: { tenantId: tenant.id, slug: 'school', name: 'School', plan: 'basic', adminUserId: 'admin-1' },
    });
  });

  it('when events are made, then each has its own id and a known type', () => {
    const a = domainEvent('TenantCreated', 't', {
      tenantId: 't',
      slug: 's',
      name: 'n',
      plan: 'basic',
      adminUserId: 'u',
    });
    const b = domainEvent('TenantCreated', 't', {
      tenantId: 't',
      slug: 's',
      name: 'n',
      plan: 'basic',
      adminUserId: 'u',
    });
    expect(a.id).not.toBe(b.id);
    expect(isEventType(a.type)).toBe(true);
    expect(isEventType('TenantVanished')).toBe(false);
  });
});
