// Structured JSON logs (pino) with token-bearing fields redacted.
import { pino, type Logger } from 'pino';

/**
 * Creates the relay's logger. Tokens never reach a log line: request URLs are not logged and these paths are censored anyway.
 *
 * The destination is synchronous on purpose. pino's default (asynchronous) destination flushes with
 * `flushSync` on process exit, and sonic-boom 4's `flushSync` retries every write error, not only EAGAIN,
 * sleeping 100 ms between attempts: when stdout is a pipe whose reader has gone (an orphaned relay whose
 * parent died), the exit flush loops on EPIPE forever, blocking the main thread, so SIGTERM (handled in
 * JavaScript) is never acted upon. A synchronous destination has no exit flush, and on EPIPE pino simply
 * stops logging.
 */
export const createLogger = (level: string): Logger =>
  pino(
    {
      level,
      base: { service: 'parley-relay' },
      redact: {
        paths: ['token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.url', 'url.search'],
        censor: '[redacted]',
      },
    },
    pino.destination({ dest: 1, sync: true }),
  );
