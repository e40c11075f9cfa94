import type { Logger } from 'pino';

const BINDINGS = Symbol('lazy logger bindings');

/**
 * A child logger that is only made when something is logged through it: a request's logger
 * (request id, then the caller) costs nothing on the many requests that log nothing but their
 * access line. `child()` on it adds bindings without making anything either.
 */
export function lazyChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  let made: Logger | undefined;
  const make = () => {
    made ??= parent.child(bindings);
    return made;
  };
  return new Proxy({} as Logger, {
    get(_target, key) {
      if (key === BINDINGS) return bindings;
      if (key === 'child' && !made) {
        return (more: Record<string, unknown>, options?: object) =>
          options ? parent.child({ ...bindings, ...more }, options) : lazyChild(parent, { ...bindings, ...more });
      }
      const logger = make();
      const value = Reflect.get(logger, key, logger);
      return typeof value === 'function' ? value.bind(logger) : value;
    },
    set(_target, key, value) {
      return Reflect.set(make(), key, value);
    },
  });
}

/** The bindings a logger made by lazyChild carries (empty for any other logger). */
export const bindingsOf = (logger: Logger): Record<string, unknown> =>
  ((logger as unknown as Record<symbol, unknown>)[BINDINGS] as Record<string, unknown> | undefined) ?? {};
