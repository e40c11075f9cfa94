import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Credentials that must never reach a log line, wherever a caller put them (request bodies,
 * headers, errors, configuration objects): censored by pino before serialisation.
 */
export const REDACTED_PATHS = [
  'password',
  'passwordHash',
  'accessToken',
  'refreshToken',
  'token',
  'authorization',
  'cookie',
  'secret',
  'privateKey',
  'databaseUrl',
  'adminUrl',
  'platformUrl',
  'runtimeUrl',
  'superUrl',
].flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

const prettyAvailable = (): boolean => {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
};

/**
 * The process logger: JSON lines (one per request, see http/middleware/request.ts), or
 * pino-pretty's colored lines in a terminal during development when it is installed (it is a
 * development dependency, absent from a production install).
 */
export function createLogger(opts: { level: string; pretty: boolean; destination?: DestinationStream }): Logger {
  const base = {
    level: opts.level,
    base: { service: 'tenantry' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (opts.pretty && prettyAvailable()) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'service' } } });
  }
  return opts.destination ? pino(base, opts.destination) : pino(base);
}
