import { v7 } from 'uuid';

/** UUIDv7: time-ordered, so ordering by id is creation order. */
export const newId = (): string => v7();

/** The creation time (ms since the epoch) a UUIDv7 carries in its first 48 bits. */
export const idTimeMs = (id: string): number => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
