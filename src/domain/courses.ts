import { Errors } from './errors.js';

/** An enrollment needs a free seat; a course without a capacity has no limit. */
export function assertSeatFree(capacity: number | null, enrolled: number): void {
  if (capacity !== null && enrolled >= capacity) throw Errors.conflict(`the course is full (capacity ${capacity})`);
}

/** A capacity may not be cut below the students already enrolled. */
export function assertCapacityFits(capacity: number | null, enrolled: number): void {
  if (capacity !== null && enrolled > capacity) {
    throw Errors.conflict(`capacity ${capacity} is below the ${enrolled} students already enrolled`);
  }
}
