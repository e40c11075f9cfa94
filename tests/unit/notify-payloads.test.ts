import { describe, expect, it } from 'vitest';
import { notifyPayloadProblems } from '../../src/db/catalog-gate.js';

// The NOTIFY rule of the catalog gate (src/db/catalog-gate.ts), on sources alone.
describe('NOTIFY payload heuristic', () => {
  it('when a payload is a single id column or there is none, then the source passes', () => {
    expect(notifyPayloadProblems(`PERFORM pg_notify('c', OLD.student_id::text); NOTIFY c;`)).toEqual([]);
    expect(notifyPayloadProblems(`PERFORM pg_notify('c', NEW.id); PERFORM pg_notify('c', NULL);`)).toEqual([]);
  });

  it('when notify appears only in comments, then the source passes', () => {
    expect(notifyPayloadProblems(`/* pg_notify('c', NEW.name) */ -- notify x, y`)).toEqual([]);
  });

  it('when a payload is built, dynamic or unparsable, then each occurrence is reported', () => {
    expect(notifyPayloadProblems(`PERFORM pg_notify('c', format('%s', NEW.id))`)).toEqual([
      `pg_notify payload format('%s', NEW.id) is not an id`,
    ]);
    expect(notifyPayloadProblems(`PERFORM pg_notify('c', NEW.id || ',' || NEW.email)`)).toHaveLength(1);
    expect(notifyPayloadProblems(`EXECUTE format('NOTIFY %I, %L', ch, NEW.email)`)).toEqual([
      'NOTIFY %I carries a payload',
    ]);
    expect(notifyPayloadProblems(`PERFORM pg_catalog.pg_notify('c', NEW.email`)).toEqual([
      'pg_notify payload (unparsed) is not an id',
    ]);
  });
});
