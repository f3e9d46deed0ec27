import { performance } from 'node:perf_hooks';
import { Command } from 'ioredis';
import type { CircuitBreaker } from './circuit-breaker.js';
import { CacheCircuitOpenError, CacheError, CacheRedisError, CacheRedisTimeoutError } from './errors.js';
import type { RedisClient } from './options.js';
import type { LuaScript } from './scripts.js';

/** Connection states in which ioredis would queue or refuse a command: fail fast instead. */
const DOWN_STATES = new Set(['reconnecting', 'close', 'end']);
/** The timeout sweep runs every timeout/4, so a tracked GET expires after 4 sweeps (+1 for the partial first). */
const SWEEPS_PER_TIMEOUT = 4;

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
    this.#getOptions = { replyEncoding: null, keyPrefix: this.#keyPrefix };
  }

  /** Options of every GET command (read, never written, by ioredis' Command): allocated once. */
  readonly #getOptions: { replyEncoding: null; keyPrefix: string | undefined };

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
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(1, Math.floor(this.#timeout / SWEEPS_PER_TIMEOUT)));
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
    this.#tick++;
    this.#sweepTracked();
    if (this.#pending.size === 0 && this.#ringSize === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  /**
   * GET returning bytes, with the shared handlers: for callers off the hot path. The hot path (an L2 hit in
   * `Cache.get`) calls {@link sendGet} itself and reports the outcome, saving this promise.
   */
  get(key: string): Promise<Buffer | null> {
    return this.sendGet(key).then(this.#onGetReply, this.#onGetError);
  }

  /**
   * Sends GET returning bytes, and returns the ioredis command's own promise — no wrapper promise, no closure:
   * the caller MUST pass the outcome to {@link getSucceeded} or {@link getFailed}. The `Command` is built here
   * (as `getBuffer` would build it, honouring the connection's `keyPrefix`) so that on timeout the shared
   * sweep can reject it in place, as ioredis' own `commandTimeout` does, without a timer per command.
   * A refused command (breaker open, connection down) comes back as a rejected promise.
   */
  sendGet(key: string): Promise<Buffer | null> {
    const refused = this.#refuse('get');
    if (refused !== undefined) return refused;
    const command = new Command('get', [key], this.#getOptions);
    this.client.sendCommand(command);
    this.#track(command);
    return command.promise as Promise<Buffer | null>;
  }

  /** Records a GET reply from {@link sendGet}. */
  getSucceeded(): void {
    this.#breaker?.success();
  }

  /**
   * Records a failed GET from {@link sendGet} and returns the error to surface. Refusals and sweep timeouts
   * are already {@link CacheError}s; a sweep timeout counts as a breaker failure here.
   */
  getFailed(error: unknown): CacheError {
    if (error instanceof CacheCircuitOpenError) return error;
    // A reply error (WRONGTYPE, …) proves Redis answered; only transport failures and timeouts trip the breaker.
    if (isReplyError(error)) this.#breaker?.success();
    else if (!(error instanceof CacheRedisError)) this.#breaker?.failure(Date.now()); // not a refusal: counted
    return error instanceof CacheError ? error : new CacheRedisError('get', error);
  }

  readonly #onGetReply = (value: Buffer | null): Buffer | null => {
    this.#breaker?.success();
    return value;
  };

  readonly #onGetError = (error: unknown): never => {
    throw this.getFailed(error);
  };

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

  // Commands sent by sendGet(), oldest first, in a ring with the sweep tick at which each expires. Settled
  // commands are dropped from the head as new ones are sent (a settled command's promise holds its reply: they
  // must not pile up for a whole timeout); the sweep rejects the unsettled ones past their deadline. ioredis
  // marks only resolved commands, so a rejected one stays until its deadline (rejecting it again is a no-op);
  // should it block the head while many settled commands queue behind it, those are compacted away.
  #ring: (Command | undefined)[] = new Array(64);
  #ringDeadline = new Uint32Array(64);
  #ringHead = 0;
  #ringSize = 0;
  /** Sweeps so far; deadlines count in sweeps (every timeout/4), so a command fails within 1×–1.25× the timeout. */
  #tick = 0;

  /** GETs currently tracked for the timeout sweep (for tests). */
  get trackedGets(): number {
    return this.#ringSize;
  }

  #track(command: Command): void {
    this.#dropSettled();
    let cap = this.#ring.length;
    if (this.#ringSize === cap) {
      if (this.#compact() === cap) {
        this.#grow();
        cap = this.#ring.length;
      }
    }
    const i = (this.#ringHead + this.#ringSize) & (cap - 1);
    this.#ring[i] = command;
    this.#ringDeadline[i] = this.#tick + SWEEPS_PER_TIMEOUT + 1;
    this.#ringSize++;
    this.#armSweeper();
  }

  #dropSettled(): void {
    const ring = this.#ring;
    const mask = ring.length - 1;
    let head = this.#ringHead;
    let size = this.#ringSize;
    while (size > 0 && ring[head]!.isResolved) {
      ring[head] = undefined;
      head = (head + 1) & mask;
      size--;
    }
    this.#ringHead = size === 0 ? 0 : head;
    this.#ringSize = size;
  }

  /** Drops every resolved command (not only those at the head), keeping order; returns the new size. */
  #compact(): number {
    const ring = this.#ring;
    const mask = ring.length - 1;
    let kept = 0;
    for (let j = 0; j < this.#ringSize; j++) {
      const from = (this.#ringHead + j) & mask;
      const command = ring[from]!;
      ring[from] = undefined;
      if (command.isResolved) continue;
      const to = (this.#ringHead + kept) & mask;
      ring[to] = command;
      this.#ringDeadline[to] = this.#ringDeadline[from]!;
      kept++;
    }
    this.#ringSize = kept;
    return kept;
  }

  #grow(): void {
    const old = this.#ring;
    const oldDeadline = this.#ringDeadline;
    const mask = old.length - 1;
    const ring: (Command | undefined)[] = new Array(old.length * 2);
    const deadline = new Uint32Array(old.length * 2);
    for (let j = 0; j < this.#ringSize; j++) {
      ring[j] = old[(this.#ringHead + j) & mask];
      deadline[j] = oldDeadline[(this.#ringHead + j) & mask]!;
    }
    this.#ring = ring;
    this.#ringDeadline = deadline;
    this.#ringHead = 0;
  }

  /** Rejects tracked commands past their deadline, in place. */
  #sweepTracked(): void {
    const tick = this.#tick;
    const ring = this.#ring;
    const mask = ring.length - 1;
    for (;;) {
      this.#dropSettled();
      if (this.#ringSize === 0 || this.#ringDeadline[this.#ringHead]! > tick) return;
      const command = ring[this.#ringHead]!;
      ring[this.#ringHead] = undefined;
      this.#ringHead = (this.#ringHead + 1) & mask;
      this.#ringSize--;
      // a late reply then finds it settled; a command ioredis already rejected ignores this
      command.reject(new CacheRedisTimeoutError('get', this.#timeout));
    }
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
