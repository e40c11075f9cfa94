import { v7 } from 'uuid';

/** UUIDv7: time-ordered, so ordering by id is creation order. */
export const newId = (): string => v7();
