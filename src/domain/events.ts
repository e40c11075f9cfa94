import { newId } from './ids.js';

/** A fact that happened, recorded in the outbox in the transaction that made it true. */
export interface DomainEvent<TType extends string = string, TPayload = unknown> {
  id: string;
  type: TType;
  tenantId: string;
  payload: TPayload;
  occurredAt: Date;
}

export function domainEvent<TType extends string, TPayload>(
  type: TType,
  tenantId: string,
  payload: TPayload,
): DomainEvent<TType, TPayload> {
  return { id: newId(), type, tenantId, payload, occurredAt: new Date() };
}
