/**
 * The `--queue` URL: `redis://[user:pass@]host[:port][/db]` or `rediss://…` (TLS), as ioredis
 * connection options and as a form safe to print. The password goes into the options only: every
 * message, log line and record shows `display`, and `redactSecret` scrubs it from third-party
 * error text (ioredis, BullMQ) before that text reaches a user or the store.
 */
import { Redis } from 'ioredis';
import { BitpointError, UsageError } from '../../util/errors.ts';

/** The queue cannot be used (unreachable, refused credentials, another coordinator…). */
export class QueueError extends BitpointError {}

export interface QueueConnection {
  /** ioredis options (BullMQ's `connection`). */
  options: {
    host: string;
    port: number;
    db: number;
    username?: string;
    password?: string;
    tls?: Record<string, never>;
    /** BullMQ's workers block on Redis; they must wait for a reconnect, not fail the command. */
    maxRetriesPerRequest: null;
  };
  /** The URL without its password, e.g. `redis://alice:***@lab-box:6379/0`. */
  display: string;
  /** Removes the password (plain and URL-encoded) from any text. */
  redactSecret(text: string): string;
}

export function parseQueueUrl(url: string, flag = '--queue'): QueueConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${flag}: '${redactUrlText(url)}' is not a URL; expected redis://HOST:PORT or rediss://HOST:PORT`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UsageError(`${flag}: expected a redis:// or rediss:// URL, got ${parsed.protocol}//…`);
  }
  if (!parsed.hostname) throw new UsageError(`${flag}: the URL names no host`);
  const dbText = parsed.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw new UsageError(`${flag}: the database '/${dbText}' must be a number ≥ 0`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const username = parsed.username ? decodeURIComponent(parsed.username) : undefined;
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const secrets = password ? [...new Set([password, parsed.password])] : [];
  const credentials = username || password ? `${username ?? ''}${password ? ':***' : ''}@` : '';
  return {
    options: {
      host,
      port,
      db,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
      maxRetriesPerRequest: null,
    },
    display: `${parsed.protocol}//${credentials}${parsed.host}${db ? `/${db}` : ''}`,
    redactSecret: (text) => secrets.reduce((out, secret) => out.split(secret).join('***'), text),
  };
}

/** A URL-ish text that did not parse: hides whatever sits between `//` and `@`. */
function redactUrlText(text: string): string {
  return text.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * Opens a plain ioredis client and waits for Redis to answer, so that a wrong host, port or
 * password is one clear error at start instead of BullMQ retrying forever in the background.
 */
export async function connectRedis(connection: QueueConnection, timeoutMs = 10_000): Promise<Redis> {
  const client = new Redis({ ...connection.options, lazyConnect: true, connectTimeout: timeoutMs, retryStrategy: () => null });
  // The cause (e.g. WRONGPASS) comes as an 'error' event; connect() itself only says the connection closed.
  let cause: Error | null = null;
  client.on('error', (error: Error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw new QueueError(`cannot use the queue at ${connection.display}: ${connection.redactSecret((cause ?? (error as Error)).message)}`);
  }
  // From now on a lost connection is retried (a Redis restart must not stop a sweep).
  client.options.retryStrategy = (times) => Math.min(times * 200, 2000);
  client.options.maxRetriesPerRequest = null;
  return client;
}
