import { performance } from 'node:perf_hooks';
import { Command } from 'ioredis';
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
  readonly #keyPrefix: string | undefined;

  constructor(client: RedisClient, breaker: CircuitBreaker | undefined, timeoutMillis: number) {
    this.client = client;
    this.#keyPrefix = client.options.keyPrefix;
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
    const refused = this.#refuse(operation);
    if (refused !== undefined) return refused;
    const breaker = this.#breaker;
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
    const commands = this.#commands;
    const deadlines = this.#deadlines;
    let head = this.#head;
    for (; head < commands.length; head++) {
      const command = commands[head]!;
      if (this.#settled(command)) continue;
      if (deadlines[head]! > now) break;
      // rejected in place, as ioredis' own commandTimeout does; a late reply then finds it settled
      command.reject(new CacheRedisTimeoutError('get', this.#timeout));
    }
    this.#head = head;
    this.#dropSettled();
    if (this.#pending.size === 0 && this.#head === this.#commands.length && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /**
   * GET returning bytes: the L2-hit hot path, so it skips the generic {@link run} wrapper. The ioredis
   * `Command` is built here (as `getBuffer` would build it, honouring the connection's `keyPrefix`) so its own
   * promise can be returned with one `.then` and, on timeout, rejected in place — exactly what ioredis'
   * `commandTimeout` does, but from the shared sweep instead of a timer per command. No extra promise, no
   * closure on the success path, no Set insert/delete per command.
   */
  get(key: string): Promise<Buffer | null> {
    const refused = this.#refuse('get');
    if (refused !== undefined) return refused as Promise<never>;
    const command = new Command('get', [key], { replyEncoding: null, keyPrefix: this.#keyPrefix });
    this.client.sendCommand(command);
    this.#track(command);
    return (command.promise as Promise<Buffer | null>).then(this.#onReply, (error: unknown) =>
      this.#onCommandError(command, 'get', error),
    );
  }

  /** Breaker open or connection down: the rejection to return at once, else undefined. */
  #refuse(operation: string): Promise<never> | undefined {
    const breaker = this.#breaker;
    // a closed breaker allows everything: skip the clock read on the hot path
    if (breaker !== undefined && breaker.state !== 'closed' && !breaker.allow(Date.now())) {
      return Promise.reject(new CacheCircuitOpenError(operation));
    }
    if (DOWN_STATES.has(this.client.status)) {
      breaker?.failure(Date.now());
      return Promise.reject(new CacheRedisError(operation, new Error(`connection is ${this.client.status}`)));
    }
    return undefined;
  }

  /** Success handler shared by every tracked command (allocated once). */
  readonly #onReply = <T>(value: T): T => {
    this.#breaker?.success();
    return value;
  };

  #onCommandError(command: Command, operation: string, error: unknown): never {
    if (error instanceof CacheRedisTimeoutError) {
      // rejected by the sweep, which has already moved past it
      this.#breaker?.failure(Date.now());
      throw error;
    }
    this.#failed.add(command);
    // A reply error (WRONGTYPE, NOSCRIPT, …) proves Redis answered; only transport failures trip the breaker.
    if (isReplyError(error)) this.#breaker?.success();
    else this.#breaker?.failure(Date.now());
    throw error instanceof CacheError ? error : new CacheRedisError(operation, error);
  }

  // Commands sent by get(), oldest first, with their deadlines. Replies on one connection come back in order,
  // so settled commands are dropped from the head as new ones are sent (a settled command's promise holds its
  // reply: they must not pile up for a whole timeout); the sweep rejects the ones past their deadline.
  #commands: Command[] = [];
  #deadlines: number[] = [];
  #head = 0;
  /** Tracked commands that were rejected (ioredis marks only resolved ones): rare, removed as the head passes. */
  readonly #failed = new Set<Command>();

  #track(command: Command): void {
    this.#dropSettled();
    this.#commands.push(command);
    this.#deadlines.push(performance.now() + this.#timeout);
    this.#armSweeper();
  }

  #settled(command: Command): boolean {
    return command.isResolved || (this.#failed.size > 0 && this.#failed.delete(command));
  }

  #dropSettled(): void {
    const commands = this.#commands;
    let head = this.#head;
    while (head < commands.length && this.#settled(commands[head]!)) head++;
    if (head === commands.length) {
      if (head > 0) {
        this.#commands = [];
        this.#deadlines = [];
      }
      this.#head = 0;
    } else if (head > 1024 && head * 2 > commands.length) {
      this.#commands = commands.slice(head);
      this.#deadlines = this.#deadlines.slice(head);
      this.#head = 0;
    } else this.#head = head;
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
