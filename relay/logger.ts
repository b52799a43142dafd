// Structured JSON logs (pino) with token-bearing fields redacted.
import { pino, type Logger } from 'pino';

/** Creates the relay's logger. Tokens never reach a log line: request URLs are not logged and these paths are censored anyway. */
export const createLogger = (level: string): Logger =>
  pino({
    level,
    base: { service: 'parley-relay' },
    redact: {
      paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.url', 'url.search'],
      censor: '[redacted]',
    },
  });
