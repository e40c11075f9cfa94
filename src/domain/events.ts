import { newId } from './ids.js';
import type {
  TenantCreatedPayload,
  TenantImportedPayload,
  TenantPlanChangedPayload,
  TenantPurgedPayload,
  TenantStatusChangedPayload,
  TenantUpdatedPayload,
} from './tenant/events.js';

/** Every domain event type and its payload: subscribers and the outbox are typed by this map. */
export interface DomainEventPayloads {
  TenantCreated: TenantCreatedPayload;
  TenantUpdated: TenantUpdatedPayload;
  TenantPlanChanged: TenantPlanChangedPayload;
  TenantSuspended: TenantStatusChangedPayload;
  TenantReactivated: TenantStatusChangedPayload;
  TenantDeleted: TenantStatusChangedPayload;
  TenantRestored: TenantStatusChangedPayload;
  TenantPurged: TenantPurgedPayload;
  TenantImported: TenantImportedPayload;
}

export type EventType = keyof DomainEventPayloads;

export const EVENT_TYPES = [
  'TenantCreated',
  'TenantUpdated',
  'TenantPlanChanged',
  'TenantSuspended',
  'TenantReactivated',
  'TenantDeleted',
  'TenantRestored',
  'TenantPurged',
  'TenantImported',
] as const satisfies readonly EventType[];

/** Events written to the platform outbox: they outlive the tenant's own rows. */
export const PLATFORM_EVENT_TYPES = ['TenantPurged', 'TenantImported'] as const satisfies readonly EventType[];

/** A fact that happened, recorded in the outbox in the transaction that made it true. */
export interface DomainEvent<K extends EventType = EventType> {
  id: string;
  type: K;
  tenantId: string;
  payload: DomainEventPayloads[K];
  occurredAt: Date;
}

/** Any one event, discriminated by `type` (so a switch on it narrows the payload). */
export type AnyDomainEvent = { [K in EventType]: DomainEvent<K> }[EventType];

export function domainEvent<K extends EventType>(
  type: K,
  tenantId: string,
  payload: DomainEventPayloads[K],
): DomainEvent<K> {
  return { id: newId(), type, tenantId, payload, occurredAt: new Date() };
}

export const isEventType = (type: string): type is EventType => (EVENT_TYPES as readonly string[]).includes(type);

export const isPlatformEventType = (type: string): boolean =>
  (PLATFORM_EVENT_TYPES as readonly string[]).includes(type);
