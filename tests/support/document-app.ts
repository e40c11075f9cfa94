import pino from 'pino';
import { createApp } from '../../src/app.js';
import type { AppServices } from '../../src/http/types.js';

/**
 * The app with no services: enough for what needs no database (/openapi.json, /docs). Any
 * request that reaches a service fails, so a test using it cannot pass by accident.
 */
export const documentApp = () => createApp({ services: {} as AppServices, logger: pino({ enabled: false }) });
