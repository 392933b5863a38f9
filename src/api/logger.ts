/**
 * The process's logger: pino JSON lines (time, level, msg, and app / revision / jobId
 * where a line is about one), readable through pino-pretty on a terminal. Request
 * logging is fastify's own, whose serializers log method, URL and status — never
 * headers, so no token or signature reaches the log.
 */
import { pino, type Logger } from 'pino';

export function createLogger(opts: { level?: string; pretty?: boolean } = {}): Logger {
  const pretty = opts.pretty ?? process.stdout.isTTY === true;
  return pino({
    level: opts.level ?? process.env['SLUICE_LOG_LEVEL'] ?? 'info',
    // belt and braces: should a header ever be logged, these are blanked
    redact: { paths: ['req.headers.authorization', 'req.headers["x-gitlab-token"]', 'req.headers["x-hub-signature"]', 'req.headers["x-hub-signature-256"]', 'req.headers["x-gitea-signature"]', 'req.headers["x-sluice-signature"]'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}

export type { Logger };
