import { Redis, type RedisOptions } from 'ioredis';
import { InvalidOptionError } from '../errors.js';
import { describe } from '../options.js';
import { RedisUnavailableError } from './errors.js';

/** Where Redis is: a `redis://` / `rediss://` URL, ioredis options, or an ioredis client. */
export type RedisConnection = string | RedisOptions | Redis;

/**
 * Makes the ioredis clients BullMQ's objects run on. BullMQ's ESM build cannot load ioredis from
 * plain options (it needs `require`), so forkpool always hands it clients. Every client made
 * here belongs to the caller of `client()` and is closed by `closeClients`; a client the user
 * passed in is only duplicated, never closed.
 */
export class Clients {
  readonly #connection: RedisConnection;
  readonly #made: Redis[] = [];

  constructor(connection: unknown, option = 'connection') {
    if (!(connection instanceof Redis) && typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
      throw new InvalidOptionError(option, `expected a Redis URL such as "redis://127.0.0.1:6379", ioredis options or an ioredis client, got ${describe(connection)}.`);
    }
    if (typeof connection === 'string' && !/^rediss?:\/\//.test(connection)) {
      throw new InvalidOptionError(option, `expected a URL starting with redis:// or rediss://, got ${describe(connection)}.`);
    }
    this.#connection = connection as RedisConnection;
  }

  /** A new client. BullMQ requires `maxRetriesPerRequest: null` on clients that block. */
  client(): Redis {
    const c = this.#connection;
    const options: RedisOptions = { maxRetriesPerRequest: null, lazyConnect: false };
    const made = c instanceof Redis ? c.duplicate(options) : typeof c === 'string' ? new Redis(c, options) : new Redis({ ...c, ...options });
    // Connection errors surface through the calls that needed Redis (with ERR_REDIS_UNAVAILABLE);
    // without a listener ioredis would also print every reconnect attempt.
    made.on('error', () => undefined);
    this.#made.push(made);
    return made;
  }

  /**
   * `graceful`: QUIT after pending replies, for at most `ms` (a paused Redis never answers);
   * otherwise (or when not connected) drop the sockets, which fails the commands still queued.
   */
  async close(graceful = true, ms = 10_000): Promise<void> {
    await Promise.all(
      this.#made.splice(0).map((c) =>
        graceful && c.status === 'ready' ? withDeadline(c.quit(), ms, 'close').then(() => undefined, () => c.disconnect()) : c.disconnect(),
      ),
    );
  }
}

/** Resolves with `promise`, or rejects with ERR_REDIS_UNAVAILABLE after `ms` (it never hangs). */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } catch (error) {
    throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(what, error);
  } finally {
    clearTimeout(timer);
  }
}
