import { newId } from './ids.js';
import type { TenantCreatedPayload } from './tenant/events.js';

/** Every domain event type and its payload: subscribers and the outbox are typed by this map. */
export interface DomainEventPayloads {
  TenantCreated: TenantCreatedPayload;
}

export type EventType = keyof DomainEventPayloads;

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

export const isEventType = (type: string): type is EventType =>
  (['TenantCreated'] satisfies EventType[] as string[]).includes(type);
