import { DefaultLogger, type LogEntry, type Logger } from '@temporalio/worker';
import pino from 'pino';
import { SECRET_LOG_PATHS } from '../lib/logging/secretLogPaths.js';

/** The worker's logs (Temporal's runtime and SDK included) as pino JSON lines, secrets redacted. */
export function createWorkerLogger(level: string): Logger {
  const log = pino({
    level: level === 'silent' ? 'silent' : level,
    redact: { paths: [...SECRET_LOG_PATHS], censor: '[redacted]' },
  });
  const levels = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  return new DefaultLogger('INFO', (entry: LogEntry) => {
    log[levels[entry.level]]({ ...entry.meta }, entry.message);
  });
}
