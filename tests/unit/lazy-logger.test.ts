import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { bindingsOf, lazyChild } from '../../src/runtime/lazy-logger.js';
import { createLogger } from '../../src/runtime/logger.js';

function captured() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', pretty: false, destination }) };
}

describe('lazy child logger', () => {
  it('when nothing is logged through it, then no child is made, even across child()', () => {
    const { logger } = captured();
    const spy = vi.spyOn(logger, 'child');
    const request = lazyChild(logger, { requestId: 'r1' }).child({ userId: 'u1' });
    expect(spy).not.toHaveBeenCalled();
    expect(bindingsOf(request)).toEqual({ requestId: 'r1', userId: 'u1' });
  });

  it('when it logs, then the line carries every binding and is still redacted', () => {
    const { lines, logger } = captured();
    const request = lazyChild(logger, { requestId: 'r1' }).child({ tenantId: 't1' });
    request.warn({ body: { password: 'hunter2' } }, 'refused');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      requestId: 'r1',
      tenantId: 't1',
      msg: 'refused',
      body: { password: '[redacted]' },
    });
    expect(request.isLevelEnabled('info')).toBe(true);
  });
});
