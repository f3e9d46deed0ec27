import { performance } from 'node:perf_hooks';
import type { CircuitBreaker } from './circuit-breaker.js';
import { CacheCircuitOpenError, CacheError, CacheRedisError, CacheRedisTimeoutError } from './errors.js';
import type { RedisClient } from './options.js';
import type { LuaScript } from './scripts.js';

/** Connection states in which ioredis would queue or refuse a command: fail fast instead. */
const DOWN_STATES = new Set(['reconnecting', 'close', 'end']);

/**
 * Every Redis command the cache sends goes through here: circuit breaker check, fail-fast on a connection
 * that is down, a timeout on every command (the caller's connection may have an offline queue that would
 * otherwise hold the command for ever), and EVALSHA with an EVAL fallback on NOSCRIPT (so a restarted Redis
 * needs no script reload step). Errors come out as {@link CacheError}s.
 */
export class RedisGateway {
  readonly client: RedisClient;
  readonly isCluster: boolean;
  readonly #breaker: CircuitBreaker | undefined;
  readonly #timeout: number;

  constructor(client: RedisClient, breaker: CircuitBreaker | undefined, timeoutMillis: number) {
    this.client = client;
    this.isCluster = client.isCluster === true;
    this.#breaker = breaker;
    this.#timeout = timeoutMillis;
  }

  /**
   * Runs one command with breaker, fail-fast and timeout. `operation` names the cache operation in errors.
   * Timeouts use one shared sweep timer rather than a timer per command (a timer per command cost about as
   * much as the rest of an L2 hit); a command fails between 1× and 1.25× the timeout.
   */
  run<T>(operation: string, send: () => Promise<T>): Promise<T> {
    const breaker = this.#breaker;
    if (breaker !== undefined && !breaker.allow(Date.now())) {
      return Promise.reject(new CacheCircuitOpenError(operation));
    }
    if (DOWN_STATES.has(this.client.status)) {
      breaker?.failure(Date.now());
      return Promise.reject(new CacheRedisError(operation, new Error(`connection is ${this.client.status}`)));
    }
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { deadline: performance.now() + this.#timeout, operation, reject, done: false };
      this.#pending.add(pending);
      this.#armSweeper();
      send().then(
        (value) => {
          if (pending.done) return;
          pending.done = true;
          this.#pending.delete(pending);
          breaker?.success();
          resolve(value);
        },
        (error: unknown) => {
          if (pending.done) return;
          pending.done = true;
          this.#pending.delete(pending);
          // A reply error (WRONGTYPE, NOSCRIPT, …) proves Redis answered; only transport failures trip the breaker.
          if (isReplyError(error)) breaker?.success();
          else breaker?.failure(Date.now());
          reject(error instanceof CacheError ? error : new CacheRedisError(operation, error));
        },
      );
    });
  }

  readonly #pending = new Set<Pending>();
  #sweeper: NodeJS.Timeout | undefined;

  #armSweeper(): void {
    if (this.#sweeper !== undefined) return;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1, Math.floor(this.#timeout / 4)));
    this.#sweeper.unref();
  }

  #sweep(): void {
    const now = performance.now();
    for (const p of this.#pending) {
      if (p.deadline > now) continue;
      p.done = true;
      this.#pending.delete(p);
      this.#breaker?.failure(Date.now());
      p.reject(new CacheRedisTimeoutError(p.operation, this.#timeout));
    }
    if (this.#pending.size === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /** GET returning bytes. */
  get(key: string): Promise<Buffer | null> {
    return this.run('get', this.#getSender(key));
  }

  #getSender(key: string): () => Promise<Buffer | null> {
    return () => this.client.getBuffer(key);
  }

  /**
   * Reads many keys: one MGET on a standalone server; on a Cluster, where MGET across slots is refused, one
   * GET per key sent together (ioredis pipelines them per node when auto-pipelining is on).
   */
  getMany(keys: readonly string[]): Promise<(Buffer | null)[]> {
    if (keys.length === 0) return Promise.resolve([]);
    if (!this.isCluster) return this.run('getMany', () => this.client.mgetBuffer(...keys));
    return this.run('getMany', () => Promise.all(keys.map((k) => this.client.getBuffer(k))));
  }

  /** Runs a Lua script by SHA, loading it with EVAL when the server does not know it. */
  eval(
    operation: string,
    script: LuaScript,
    keys: readonly string[],
    args: readonly (string | Buffer | number)[],
  ): Promise<unknown> {
    return this.run(operation, async () => {
      try {
        return await this.client.callBuffer('evalsha', script.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('NOSCRIPT')) {
          return this.client.callBuffer('eval', script.lua, keys.length, ...keys, ...args);
        }
        throw error;
      }
    });
  }

  /** PUBLISH. */
  publish(channel: string, message: string): Promise<number> {
    return this.run('publish', () => this.client.publish(channel, message));
  }

  /** HMGET returning strings. */
  hmget(key: string, fields: readonly string[]): Promise<(string | null)[]> {
    return this.run('tagVersions', () => this.client.hmget(key, ...fields));
  }

  /** HGET returning a string. */
  hget(key: string, field: string): Promise<string | null> {
    return this.run('tagEpoch', () => this.client.hget(key, field));
  }
}

interface Pending {
  deadline: number;
  operation: string;
  reject: (error: unknown) => void;
  done: boolean;
}

function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ReplyError';
}
