import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BatchCollector, type BatchItem, type BatchLoader } from './batch-loader.js';
import { Bus, type BusMessage, clearMessage, keysMessage, wakeMessage } from './bus.js';
import { CircuitBreaker } from './circuit-breaker.js';
import {
  decodeEnvelope,
  ENVELOPE_HEADER_BYTES,
  type EntryMeta,
  encodeEnvelope,
  envelopeTagBytes,
  isFreshUntagged,
} from './envelope.js';
import { CacheClosedError, CacheError, CacheLoaderTimeoutError, CacheRedisError } from './errors.js';
import {
  type CacheEventMap,
  type CacheEventName,
  CacheEvents,
  type CacheListener,
  type CacheStats,
  emptyStats,
  type StaleReason,
} from './events.js';
import { deepFreeze } from './freeze.js';
import {
  classify,
  type Freshness,
  shouldRefreshEarly,
  type TagVerdict,
  type TagVersion,
  tagVerdict,
} from './freshness.js';
import { type KeyLayout, validateTags } from './keys.js';
import { LeaseWaits } from './lease-waits.js';
import { type Loader, LoaderContextImpl } from './loader-context.js';
import { Lru } from './lru.js';
import {
  type EntryOptions,
  type RedisClient,
  type ResolvedEntryOptions,
  type ResolvedOptions,
  resolveEntryOptions,
} from './options.js';
import { RedisGateway } from './redis-gateway.js';
import { ACQUIRE, COMMIT, EXTEND, INVALIDATE, INVALIDATE_TAGS, RELEASE } from './scripts.js';
import { decodeDefaultAt, defaultSerializer } from './serializer.js';

/**
 * Loads that run longer than this are returned but never written back. Generations live a minute longer,
 * so a write-back always finds the generation an invalidation set during its load (see INVALIDATE).
 */
const MAX_LOAD_MILLIS = 10 * 60_000;
const GENERATION_TTL_MILLIS = MAX_LOAD_MILLIS + 60_000;
/** Bookkeeping bytes charged per L1 entry on top of its serialized size (node, entry, meta objects). */
const L1_ENTRY_OVERHEAD_BYTES = 256;

/** Materialization states of an L1 entry's value. */
const Held = {
  /** Only the bytes are held; decoded and frozen on first use. */
  Bytes: 0,
  /** `value` is decoded and deep-frozen: shared by every hit. */
  Frozen: 1,
  /** The value holds binary data, which cannot be frozen: every hit decodes a private copy. */
  CopyOnRead: 2,
} as const;
type Held = (typeof Held)[keyof typeof Held];

/** An entry as held in L1 and passed around in flights. */
interface Entry {
  meta: EntryMeta;
  payload: Buffer;
  value: unknown;
  held: Held;
  /** `#tagClock` at the last tag check. */
  tagClock: number;
}

/** What a single-flight produces for everyone waiting on it. */
interface FlightResult {
  entry: Entry;
  /** A value nobody else holds (the loader's own result, or a private decode), handed to the first taker. */
  own: { value: unknown } | undefined;
  /** The flight fell back to the stale entry (lease wait ran out). */
  stale: boolean;
}

interface Flight {
  promise: Promise<FlightResult>;
}

interface Lease {
  /** '' when loading without a lease (after a wait ran out): the write-back then relies on the generation alone. */
  token: string;
  generation: string;
  tagEpoch: number;
}

interface Acquired extends Lease {
  granted: boolean;
  value: Buffer | null;
  leaseRemaining: number;
}

interface Inspected {
  entry: Entry;
  freshness: Freshness;
}

const TIMEOUT = Symbol('timeout');
const noop = (): void => {};

/**
 * A two-tier cache-aside cache: an in-process LRU (L1) in front of Redis (L2), with cluster-wide
 * single-flight loads, compare-and-set write-backs, and an invalidation bus. Create it with
 * {@link createCache}; see the package README for the model.
 */
export class Cache {
  readonly #o: ResolvedOptions;
  readonly #keys: KeyLayout;
  readonly #redis: RedisGateway;
  readonly #ownsClient: boolean;
  readonly #l1: Lru<Entry> | undefined;
  readonly #bus: Bus | undefined;
  readonly #events = new CacheEvents();
  readonly #stats = emptyStats();
  readonly #id = randomBytes(8).toString('hex');
  readonly #flights = new Map<string, Flight>();
  readonly #refreshing = new Set<string>();
  readonly #waits = new LeaseWaits();
  readonly #tagVersions = new Map<string, TagVersion>();
  readonly #ready: Promise<void>;
  #tagClock = 0;
  /** Bumped by every tag invalidation seen; a tag fetch that raced one is not merged into the local versions. */
  #tagMessages = 0;
  #tokenCounter = 0;
  /** Bumped by every local or remote invalidation; reads started before a bump must not fill L1. */
  #seq = 0;
  #flushSeq = 0;
  readonly #keySeq = new Map<string, number>();
  #readsInFlight = 0;
  #closed = false;

  /** @internal Use {@link createCache}. */
  constructor(options: ResolvedOptions, keys: KeyLayout, client: RedisClient, ownsClient: boolean) {
    this.#o = options;
    this.#keys = keys;
    this.#ownsClient = ownsClient;
    const breaker =
      options.breaker === false
        ? undefined
        : new CircuitBreaker(options.breaker.failureThreshold, options.breaker.resetMillis, (state) => {
            this.#stats.circuit = state;
            this.#events.emit('circuit', { state });
          });
    this.#redis = new RedisGateway(client, breaker, options.commandTimeout);
    // a connection we created has no other owner to listen for its errors; a borrowed one is left alone
    if (ownsClient) client.on('error', (error: unknown) => this.#emitError('connection', error));
    if (options.l1 !== false) {
      this.#l1 = new Lru<Entry>(options.l1.maxEntries, options.l1.maxBytes);
      this.#l1.onEvict = () => {
        this.#stats.l1Evictions++;
      };
    }
    if (options.bus) {
      this.#bus = new Bus(keys.channel, {
        message: (m) => this.#onBusMessage(m),
        down: () => this.#onBusDown(),
        up: (reconnected) => this.#onBusUp(reconnected),
      });
      this.#ready = this.#startBus(client);
    } else {
      this.#ready = Promise.resolve();
    }
    this.#ready.catch(noop);
  }

  /** Identifies this instance on the bus (messages it sent are not applied twice). */
  get id(): string {
    return this.#id;
  }

  /** The namespace. */
  get namespace(): string {
    return this.#keys.namespace;
  }

  /** Resolves once the bus is subscribed (L1 is bypassed until then). Rejects if that takes over 10 s. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends CacheEventName>(event: E, listener: CacheListener<E>): () => void {
    return this.#events.on(event, listener);
  }

  /** Unsubscribes from an event. */
  off<E extends CacheEventName>(event: E, listener: CacheListener<E>): void {
    this.#events.off(event, listener);
  }

  /** Counters since creation and current L1 occupancy. */
  stats(): CacheStats {
    return { ...this.#stats, l1Entries: this.#l1?.size ?? 0, l1Bytes: this.#l1?.bytes ?? 0 };
  }

  // ───────────────────────────── reads ─────────────────────────────

  /** Returns the fresh value of `key`, or undefined. Never calls a loader; a Redis failure reads as a miss (fail open). */
  get<V = unknown>(key: string): Promise<V | undefined> {
    if (this.#closed) return Promise.reject(new CacheClosedError());
    const e = this.#l1Lookup(key);
    if (e !== undefined && classify(e.meta, Date.now(), 'valid') === 'fresh') {
      this.#l1Hit(key);
      return Promise.resolve(this.#shared(e) as V);
    }
    return this.#getL2(key) as Promise<V | undefined>;
  }

  /**
   * The L2 read of `get`, the hot path of an L2 hit: one `.then` on the ioredis command's own promise (no
   * async function, no wrapper promise), the header read in place, the payload decoded straight from the
   * reply. Without L1 there is no read-sequence bookkeeping (it only guards L1 fills).
   */
  #getL2(key: string): Promise<unknown> {
    const seq = this.#l1 === undefined ? -1 : this.#beginRead();
    return this.#redis.sendGet(this.#keys.value(key)).then(
      (bytes) => this.#afterGet(key, seq, bytes),
      (error: unknown) => this.#afterGetError(key, seq, error),
    );
  }

  #afterGet(key: string, seq: number, bytes: Buffer | null): unknown {
    this.#redis.getSucceeded();
    let async = false;
    try {
      if (bytes === null) {
        this.#miss(key);
        return undefined;
      }
      const tagBytes = envelopeTagBytes(bytes);
      if (tagBytes === 0) {
        // untagged entry (the common case): classified from the header, no tag lookup, nothing more to await
        if (!isFreshUntagged(bytes, Date.now())) {
          this.#miss(key);
          return undefined;
        }
        this.#l2Hit(key);
        if (this.#l1 === undefined && !this.#o.freezeAlways) return this.#decodeAt(bytes, ENVELOPE_HEADER_BYTES);
        const decoded = decodeEnvelope(bytes)!;
        const entry = newEntry(decoded.meta, decoded.payload);
        this.#l1Put(key, entry, seq);
        return this.#ownValue(entry);
      }
      if (tagBytes < 0) {
        this.#miss(key);
        return undefined;
      }
      async = true;
      return Promise.resolve(this.#inspect(bytes))
        .then((found) => {
          if (found?.freshness !== 'fresh') {
            this.#miss(key);
            return undefined;
          }
          this.#l2Hit(key);
          this.#l1Put(key, found.entry, seq);
          return this.#ownValue(found.entry);
        })
        .finally(() => {
          if (seq >= 0) this.#endRead();
        });
    } finally {
      if (!async && seq >= 0) this.#endRead();
    }
  }

  #afterGetError(key: string, seq: number, error: unknown): undefined {
    try {
      this.#redisFailed('get', this.#redis.getFailed(error));
      this.#miss(key);
      return undefined;
    } finally {
      if (seq >= 0) this.#endRead();
    }
  }

  /** `serializer.decode` of the bytes from `offset` on; the default serializer reads them without a view. */
  #decodeAt(bytes: Buffer, offset: number): unknown {
    const serializer = this.#o.serializer;
    return serializer === defaultSerializer
      ? decodeDefaultAt(bytes, offset)
      : serializer.decode(bytes.subarray(offset));
  }

  /**
   * Fresh values for many keys (undefined where missing): L1 first, then one MGET for the rest (one GET
   * per key on a Cluster, where MGET across slots is refused).
   */
  async getMany<V = unknown>(keys: readonly string[]): Promise<(V | undefined)[]> {
    if (this.#closed) throw new CacheClosedError();
    const out = new Array<V | undefined>(keys.length);
    const rest: number[] = [];
    const now = Date.now();
    keys.forEach((key, i) => {
      const e = this.#l1Lookup(key);
      if (e !== undefined && classify(e.meta, now, 'valid') === 'fresh') {
        this.#l1Hit(key);
        out[i] = this.#shared(e) as V;
      } else rest.push(i);
    });
    if (rest.length === 0) return out;
    const seq = this.#beginRead();
    try {
      const found = await this.#readManyL2(
        rest.map((i) => keys[i]!),
        'getMany',
      );
      rest.forEach((i, j) => {
        const key = keys[i]!;
        const f = found[j];
        if (f?.freshness === 'fresh') {
          this.#l2Hit(key);
          this.#l1Put(key, f.entry, seq);
          out[i] = this.#ownValue(f.entry) as V;
        } else this.#miss(key);
      });
      return out;
    } finally {
      this.#endRead();
    }
  }

  /**
   * The cache-aside read: the fresh value, or the loader's result — computed once across every process
   * sharing the namespace (in-process single-flight plus a Redis lease), written back only if the key was
   * not invalidated meanwhile. See the README for grace, timeouts and early refresh.
   */
  getOrSet<V>(key: string, loader: Loader<V>, options?: EntryOptions): Promise<V> {
    if (this.#closed) return Promise.reject(new CacheClosedError());
    let o: ResolvedEntryOptions;
    try {
      o = options === undefined ? this.#o.defaults : resolveEntryOptions(this.#o.defaults, options);
      if (options?.tags !== undefined) validateTags(options.tags);
    } catch (error) {
      return Promise.reject(error);
    }
    const e = this.#l1Lookup(key);
    if (e !== undefined) {
      const now = Date.now();
      const freshness = classify(e.meta, now, 'valid');
      if (freshness === 'fresh') {
        this.#l1Hit(key);
        if (o.earlyRefresh > 0 && shouldRefreshEarly(e.meta, now, o.earlyRefresh, 1 - Math.random())) {
          this.#refreshEarly(key, loader as Loader<unknown>, o, e);
        }
        return Promise.resolve(this.#shared(e) as V);
      }
      if (freshness === 'dead') this.#l1?.delete(key);
      return this.#getOrSetSlow(key, loader, o, freshness === 'stale' ? e : undefined);
    }
    return this.#getOrSetSlow(key, loader, o, undefined);
  }

  async #getOrSetSlow<V>(
    key: string,
    loader: Loader<V>,
    o: ResolvedEntryOptions,
    l1Stale: Entry | undefined,
  ): Promise<V> {
    let stale = l1Stale;
    let flight = this.#flights.get(key);
    if (flight === undefined) {
      const seq = this.#beginRead();
      try {
        const found = await this.#readL2(key, 'getOrSet');
        if (found?.freshness === 'fresh') {
          this.#l2Hit(key);
          this.#l1Put(key, found.entry, seq);
          const now = Date.now();
          if (o.earlyRefresh > 0 && shouldRefreshEarly(found.entry.meta, now, o.earlyRefresh, 1 - Math.random())) {
            this.#refreshEarly(key, loader as Loader<unknown>, o, found.entry);
          }
          return this.#ownValue(found.entry) as V;
        }
        if (found?.freshness === 'stale') stale = found.entry;
      } finally {
        this.#endRead();
      }
      flight = this.#flights.get(key) ?? this.#startFlight(key, loader, o, stale);
    }
    return this.#awaitFlight<V>(key, flight, o, stale);
  }

  /**
   * `getOrSet` for many keys: L1, then one MGET, then one call of `batchLoader` with the keys whose leases
   * this process was granted; keys another process is loading are waited for, per key. Keys the batch
   * result has no entry for are returned as undefined and not cached.
   */
  async getOrSetMany<V>(
    keys: readonly string[],
    batchLoader: BatchLoader<V>,
    options?: EntryOptions,
  ): Promise<(V | undefined)[]> {
    if (this.#closed) throw new CacheClosedError();
    const o = options === undefined ? this.#o.defaults : resolveEntryOptions(this.#o.defaults, options);
    if (options?.tags !== undefined) validateTags(options.tags);
    const out = new Array<V | undefined>(keys.length);
    const now = Date.now();
    const rest: number[] = [];
    const staleOf = new Map<number, Entry>();
    keys.forEach((key, i) => {
      const e = this.#l1Lookup(key);
      if (e === undefined) {
        rest.push(i);
        return;
      }
      const freshness = classify(e.meta, now, 'valid');
      if (freshness === 'fresh') {
        this.#l1Hit(key);
        out[i] = this.#shared(e) as V;
        return;
      }
      if (freshness === 'stale') staleOf.set(i, e);
      rest.push(i);
    });
    if (rest.length === 0) return out;
    const collector = new BatchCollector<V>(batchLoader);
    const loader: Loader<V | undefined> = async (ctx) => {
      const item: BatchItem<V> = await collector.load(ctx.key);
      if (!item.found) ctx.skip();
      return item.value;
    };
    const toRead = rest.filter((i) => !this.#flights.has(keys[i]!));
    const done = new Set<number>();
    const seq = this.#beginRead();
    try {
      const found =
        toRead.length === 0
          ? []
          : await this.#readManyL2(
              toRead.map((i) => keys[i]!),
              'getOrSetMany',
            );
      toRead.forEach((i, j) => {
        const f = found[j];
        if (f?.freshness === 'fresh') {
          done.add(i);
          this.#l2Hit(keys[i]!);
          this.#l1Put(keys[i]!, f.entry, seq);
          out[i] = this.#ownValue(f.entry) as V;
        } else if (f?.freshness === 'stale') staleOf.set(i, f.entry);
      });
    } finally {
      this.#endRead();
    }
    const flights = new Map<number, Flight>();
    let started = 0;
    const decided = (): void => collector.decided();
    for (const i of rest) {
      if (done.has(i)) continue;
      const key = keys[i]!;
      let flight = this.#flights.get(key);
      if (flight === undefined) {
        flight = this.#startFlight(key, loader, o, staleOf.get(i), decided);
        started++;
      }
      flights.set(i, flight);
    }
    collector.expect(started);
    await Promise.all(
      [...flights].map(async ([i, flight]) => {
        out[i] = (await this.#awaitFlight<V | undefined>(keys[i]!, flight, o, staleOf.get(i))) as V | undefined;
      }),
    );
    return out;
  }

  // ───────────────────────────── writes and invalidation ─────────────────────────────

  /**
   * Writes a value, replacing any other and cancelling the write-back of loads in flight. Rejects if Redis
   * fails (the previous value would otherwise stay). Other processes drop their L1 copy.
   */
  async set(key: string, value: unknown, options?: EntryOptions): Promise<void> {
    if (this.#closed) throw new CacheClosedError();
    const o = options === undefined ? this.#o.defaults : resolveEntryOptions(this.#o.defaults, options);
    validateTags(o.tags);
    const payload = this.#o.serializer.encode(value);
    let tagEpoch = 0;
    if (o.tags.length > 0)
      tagEpoch = Number(
        (await this.#redis.hget(this.#keys.tagsKey, '~e').catch((e) => this.#throwInvalidation('set', e))) ?? 0,
      );
    const now = Date.now();
    const meta: EntryMeta = {
      freshUntil: now + o.ttl,
      staleUntil: now + o.ttl + o.grace,
      loadMillis: 0,
      tagEpoch,
      tags: o.tags,
      softInvalidated: false,
    };
    this.#invalidateLocal(key);
    const [v, l, w, g] = this.#keys.all(key);
    await this.#redis
      .eval(
        'set',
        INVALIDATE,
        [v, l, w, g],
        [
          'w',
          this.#newGeneration(),
          GENERATION_TTL_MILLIS,
          this.#keys.channel,
          keysMessage(this.#id, 'd', [key]),
          encodeEnvelope(meta, payload),
          o.ttl + o.grace,
        ],
      )
      .catch((e) => this.#throwInvalidation('set', e));
    this.#invalidateLocal(key);
    this.#l1Put(key, newEntry(meta, payload), this.#seq);
  }

  /** Hard invalidation: deletes the key everywhere; loads in flight cannot write their (older) result back. */
  delete(key: string): Promise<void> {
    return this.#invalidateKeys([key], 'd', 'delete');
  }

  /** {@link delete} for many keys, with one bus message. */
  deleteMany(keys: readonly string[]): Promise<void> {
    return this.#invalidateKeys(keys, 'd', 'deleteMany');
  }

  /**
   * Soft invalidation: the value becomes stale at once but stays servable for its grace period (while one
   * caller reloads it, or if the loader fails). Without grace it behaves like {@link delete}.
   */
  expire(key: string): Promise<void> {
    return this.#invalidateKeys([key], 's', 'expire');
  }

  /** {@link expire} for many keys. */
  expireMany(keys: readonly string[]): Promise<void> {
    return this.#invalidateKeys(keys, 's', 'expireMany');
  }

  /** Hard invalidation of every entry carrying one of `tags`: they read as missing from now on, in every process. */
  invalidateTags(tags: readonly string[]): Promise<void> {
    return this.#invalidateTags(tags, true);
  }

  /** Soft invalidation by tag: entries carrying one of `tags` become stale (servable within grace). */
  expireTags(tags: readonly string[]): Promise<void> {
    return this.#invalidateTags(tags, false);
  }

  /**
   * Deletes every entry of this namespace — only this namespace: SCAN with its prefix and UNLINK, never KEYS
   * or FLUSHDB. Leases in progress are revoked so their loads cannot write back. Tag counters are kept
   * (they must never go backwards).
   */
  async clear(): Promise<void> {
    if (this.#closed) throw new CacheClosedError();
    this.#flushLocal();
    const client = this.#redis.client;
    const nodes = this.#redis.isCluster
      ? (client as import('ioredis').Cluster).nodes('master')
      : [client as import('ioredis').Redis];
    const prefix = this.#keys.namespace + ':';
    const tagsKey = this.#keys.tagsKey;
    try {
      for (const node of nodes) {
        const stream = node.scanStream({ match: this.#keys.scanPattern, count: 1000 });
        for await (const batch of stream as AsyncIterable<string[]>) {
          const unlink: string[] = [];
          const leases: string[] = [];
          for (const k of batch) {
            const kind = k.charAt(prefix.length);
            if (k === tagsKey || kind === 'g') continue;
            if (kind === 'l') leases.push(k);
            unlink.push(k);
          }
          const generation = this.#newGeneration();
          await this.#redis.run('clear', async () => {
            // revoke leases first: bump the generation of keys being loaded, so their write-backs fail
            await Promise.all(
              leases.map((k) =>
                node.set(prefix + 'g' + k.slice(prefix.length + 1), generation, 'PX', GENERATION_TTL_MILLIS),
              ),
            );
            if (unlink.length === 0) return;
            if (this.#redis.isCluster) await Promise.all(unlink.map((k) => node.unlink(k)));
            else await node.unlink(...unlink);
          });
        }
      }
      await this.#redis.publish(this.#keys.channel, clearMessage(this.#id));
    } catch (error) {
      this.#throwInvalidation('clear', error);
    } finally {
      this.#flushLocal();
    }
  }

  /**
   * Stops the bus and, only if the cache created the Redis connection, closes it. A connection you passed in
   * is left open: it is yours.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#bus?.close();
    this.#l1?.clear();
    if (this.#ownsClient) {
      try {
        await this.#redis.client.quit();
      } catch {
        this.#redis.client.disconnect();
      }
    }
  }

  async #invalidateKeys(keys: readonly string[], mode: 'd' | 's', operation: string): Promise<void> {
    if (this.#closed) throw new CacheClosedError();
    if (keys.length === 0) return;
    const local = (): void => {
      for (const key of keys) mode === 'd' ? this.#invalidateLocal(key) : this.#softInvalidateLocal(key);
    };
    local();
    const generation = this.#newGeneration();
    const message = keysMessage(this.#id, mode, keys);
    const single = keys.length === 1;
    try {
      await Promise.all(
        keys.map((key) =>
          this.#redis.eval(operation, INVALIDATE, this.#keys.all(key), [
            mode,
            generation,
            GENERATION_TTL_MILLIS,
            this.#keys.channel,
            single ? message : '',
          ]),
        ),
      );
      if (!single) await this.#redis.publish(this.#keys.channel, message);
    } catch (error) {
      this.#throwInvalidation(operation, error);
    } finally {
      // again: a read that started between the first local pass and the Redis update may have refilled L1
      local();
    }
  }

  async #invalidateTags(tags: readonly string[], hard: boolean): Promise<void> {
    if (this.#closed) throw new CacheClosedError();
    if (tags.length === 0) return;
    validateTags(tags);
    const operation = hard ? 'invalidateTags' : 'expireTags';
    const epoch = await this.#redis
      .eval(
        operation,
        INVALIDATE_TAGS,
        [this.#keys.tagsKey],
        [hard ? 1 : 0, this.#keys.channel, this.#id, Date.now(), ...tags],
      )
      .catch((e) => this.#throwInvalidation(operation, e));
    this.#applyTagVersions(tags, Number(epoch), hard);
  }

  // ───────────────────────────── single-flight, lease, load ─────────────────────────────

  #startFlight<V>(
    key: string,
    loader: Loader<V>,
    o: ResolvedEntryOptions,
    stale: Entry | undefined,
    onFirstReply?: () => void,
  ): Flight {
    const flight: Flight = { promise: this.#runFlight(key, loader as Loader<unknown>, o, stale, onFirstReply) };
    const cleanup = (): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    };
    flight.promise.then(cleanup, cleanup);
    this.#flights.set(key, flight);
    return flight;
  }

  /** Applies the caller's own soft/hard timeout to a (shared) flight. */
  async #awaitFlight<V>(key: string, flight: Flight, o: ResolvedEntryOptions, stale: Entry | undefined): Promise<V> {
    if (stale !== undefined) {
      if (o.softTimeout === 0) return this.#serveStale(key, stale, 'soft-timeout') as V;
      let result: FlightResult | typeof TIMEOUT;
      try {
        result = await withTimeout(flight.promise, o.softTimeout);
      } catch {
        return this.#serveStale(key, stale, 'loader-error') as V;
      }
      if (result === TIMEOUT) return this.#serveStale(key, stale, 'soft-timeout') as V;
      if (result.stale) return this.#serveStale(key, result.entry, 'lease-timeout') as V;
      return this.#take(result) as V;
    }
    const result = o.hardTimeout > 0 ? await withTimeout(flight.promise, o.hardTimeout) : await flight.promise;
    if (result === TIMEOUT) throw new CacheLoaderTimeoutError(key, o.hardTimeout);
    if (result.stale) return this.#serveStale(key, result.entry, 'lease-timeout') as V;
    return this.#take(result) as V;
  }

  /**
   * One process's attempt to get `key` loaded: take the lease and load, or wait (woken over pub/sub) for the
   * process that holds it, re-reading when woken and re-acquiring when its lease expires; after
   * `lease.waitTimeout`, fall back to the stale entry or to loading without a lease.
   */
  async #runFlight(
    key: string,
    loader: Loader<unknown>,
    o: ResolvedEntryOptions,
    stale: Entry | undefined,
    onFirstReply: (() => void) | undefined,
  ): Promise<FlightResult> {
    let first = onFirstReply;
    // queued as a microtask: a load started just before has registered its key with the batch collector
    const decided = (): void => {
      const f = first;
      first = undefined;
      if (f !== undefined) queueMicrotask(f);
    };
    const seq = this.#beginRead();
    try {
      const deadline = Date.now() + this.#o.leaseWaitTimeout;
      const token = this.#newToken();
      let last: Acquired | undefined;
      for (;;) {
        const waiter = this.#waits.register(key);
        let acquired: Acquired;
        try {
          acquired = await this.#acquire(key, token);
        } catch (error) {
          waiter.dispose();
          decided();
          this.#redisFailed('getOrSet', error);
          // fail open: load without lease and without write-back
          return await this.#load(key, loader, o, stale, seq, undefined);
        }
        last = acquired;
        if (acquired.value !== null) {
          const found = await this.#inspect(acquired.value);
          if (found?.freshness === 'fresh') {
            waiter.dispose();
            decided();
            if (acquired.granted) this.#release(key, token);
            this.#l1Put(key, found.entry, seq);
            return { entry: found.entry, own: undefined, stale: false };
          }
          if (found?.freshness === 'stale' && stale === undefined) stale = found.entry;
        }
        if (acquired.granted) {
          waiter.dispose();
          const loading = this.#load(key, loader, o, stale, seq, acquired);
          decided();
          return await loading;
        }
        decided();
        this.#stats.leaseWaits++;
        this.#events.emit('lease-wait', { key });
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          waiter.dispose();
          break;
        }
        const woken = await waiter.until(Math.min(remaining, Math.max(1, acquired.leaseRemaining) + 5));
        waiter.dispose();
        if (woken) {
          const found = await this.#readL2(key, 'getOrSet');
          if (found?.freshness === 'fresh') {
            this.#l1Put(key, found.entry, seq);
            return { entry: found.entry, own: undefined, stale: false };
          }
        }
        if (Date.now() >= deadline) break;
      }
      this.#stats.leaseTimeouts++;
      this.#events.emit('lease-timeout', { key });
      if (stale !== undefined) return { entry: stale, own: undefined, stale: true };
      return await this.#load(key, loader, o, undefined, seq, {
        token: '',
        generation: last!.generation,
        tagEpoch: last!.tagEpoch,
      });
    } finally {
      this.#endRead();
    }
  }

  /** Runs the loader, then writes back with compare-and-set on the generation read when the load began. */
  async #load(
    key: string,
    loader: Loader<unknown>,
    o: ResolvedEntryOptions,
    stale: Entry | undefined,
    seq: number,
    lease: Lease | undefined,
  ): Promise<FlightResult> {
    const ctx = new LoaderContextImpl<unknown>(key, o, stale === undefined ? undefined : () => this.#shared(stale));
    const token = lease?.token ?? '';
    const heartbeat =
      token === ''
        ? undefined
        : setInterval(() => this.#extend(key, token), Math.max(50, Math.floor(this.#o.leaseTtl / 3)));
    heartbeat?.unref();
    this.#stats.loads++;
    const started = performance.now();
    let value: unknown;
    let payload: Buffer;
    try {
      value = await loader(ctx);
      payload = this.#o.serializer.encode(value);
    } catch (error) {
      clearInterval(heartbeat);
      this.#stats.loadErrors++;
      if (token !== '') this.#release(key, token);
      this.#events.emit('load', { key, durationMillis: performance.now() - started, ok: false, cached: false, error });
      throw error;
    }
    clearInterval(heartbeat);
    const durationMillis = performance.now() - started;
    const now = Date.now();
    const meta: EntryMeta = {
      freshUntil: now + ctx.ttl,
      staleUntil: now + ctx.ttl + ctx.grace,
      loadMillis: durationMillis,
      tagEpoch: lease?.tagEpoch ?? 0,
      tags: ctx.tags,
      softInvalidated: false,
    };
    const entry = newEntry(meta, payload);
    let cached = false;
    if (lease !== undefined && !ctx.skipped && durationMillis < MAX_LOAD_MILLIS) {
      try {
        cached = await this.#commit(key, lease, meta, payload, ctx.ttl + ctx.grace);
        if (!cached) {
          this.#stats.staleSetsPrevented++;
          this.#events.emit('stale-set-prevented', { key });
        }
      } catch (error) {
        this.#emitError('commit', error);
      }
    } else if (token !== '') {
      this.#release(key, token);
    }
    if (cached) {
      if (meta.tags.length > 0 && this.#l1Live() && tagVerdict(meta, this.#tagVersions) === 'unknown') {
        // learn the tags' versions now, or the first L1 lookup would find them unknown and go to Redis
        await this.#tagVerdictFetching(meta).catch(noop);
      }
      this.#l1Put(key, entry, seq);
    }
    this.#events.emit('load', { key, durationMillis, ok: true, cached });
    return { entry, own: { value }, stale: false };
  }

  #refreshEarly(key: string, loader: Loader<unknown>, o: ResolvedEntryOptions, current: Entry): void {
    if (this.#flights.has(key) || this.#refreshing.has(key)) return;
    this.#refreshing.add(key);
    this.#stats.earlyRefreshes++;
    this.#events.emit('early-refresh', { key });
    const done = (): void => {
      this.#refreshing.delete(key);
    };
    this.#refresh(key, loader, o, current).then(done, done);
  }

  /** Background refresh: only if this process gets the lease; whoever holds it is already refreshing. */
  async #refresh(key: string, loader: Loader<unknown>, o: ResolvedEntryOptions, current: Entry): Promise<void> {
    const seq = this.#beginRead();
    try {
      const token = this.#newToken();
      const acquired = await this.#acquire(key, token);
      if (acquired.value !== null) {
        const found = await this.#inspect(acquired.value);
        if (found?.freshness === 'fresh' && found.entry.meta.freshUntil > current.meta.freshUntil) {
          if (acquired.granted) this.#release(key, token);
          this.#l1Put(key, found.entry, seq);
          return;
        }
      }
      if (acquired.granted) await this.#load(key, loader, o, current, seq, acquired);
    } catch {
      // loader errors are emitted as 'load' events, Redis errors as 'error' events; the current value stays
    } finally {
      this.#endRead();
    }
  }

  async #acquire(key: string, token: string): Promise<Acquired> {
    const keys = this.#keys.all(key);
    const args = [token, this.#o.leaseTtl];
    let reply: unknown[];
    let tagEpoch: number;
    if (this.#redis.isCluster) {
      // the tags hash lives in another slot: read the epoch alongside instead of inside the script
      const [r, e] = await Promise.all([
        this.#redis.eval('getOrSet', ACQUIRE, keys, args),
        this.#redis.hget(this.#keys.tagsKey, '~e'),
      ]);
      reply = r as unknown[];
      tagEpoch = Number(e ?? 0);
    } else {
      reply = (await this.#redis.eval('getOrSet', ACQUIRE, [...keys, this.#keys.tagsKey], args)) as unknown[];
      tagEpoch = Number(reply[2]);
    }
    return {
      granted: reply[0] === 1,
      token,
      generation: reply[1] === null || reply[1] === undefined ? '' : String(reply[1]),
      tagEpoch,
      value: (reply[3] as Buffer | null | undefined) ?? null,
      leaseRemaining: Number(reply[4]),
    };
  }

  async #commit(key: string, lease: Lease, meta: EntryMeta, payload: Buffer, ttl: number): Promise<boolean> {
    const reply = await this.#redis.eval('commit', COMMIT, this.#keys.all(key), [
      lease.token,
      lease.generation,
      encodeEnvelope(meta, payload),
      ttl,
      this.#keys.channel,
      wakeMessage(this.#id, key),
    ]);
    return reply === 1;
  }

  #release(key: string, token: string): void {
    const [, l, w] = this.#keys.all(key);
    this.#redis
      .eval('release', RELEASE, [l, w], [token, this.#keys.channel, wakeMessage(this.#id, key)])
      .catch((e) => this.#emitError('release', e));
  }

  #extend(key: string, token: string): void {
    const [, l, w] = this.#keys.all(key);
    this.#redis.eval('extend', EXTEND, [l, w], [token, this.#o.leaseTtl]).catch((e) => this.#emitError('extend', e));
  }

  // ───────────────────────────── L2 reads ─────────────────────────────

  async #readL2(key: string, operation: string): Promise<Inspected | undefined> {
    let bytes: Buffer | null;
    try {
      bytes = await this.#redis.get(this.#keys.value(key));
    } catch (error) {
      this.#redisFailed(operation, error);
      return undefined;
    }
    return bytes === null ? undefined : this.#inspect(bytes);
  }

  async #readManyL2(keys: readonly string[], operation: string): Promise<(Inspected | undefined)[]> {
    let values: (Buffer | null)[];
    try {
      values = await this.#redis.getMany(keys.map((k) => this.#keys.value(k)));
    } catch (error) {
      this.#redisFailed(operation, error);
      return [];
    }
    return Promise.all(values.map((b) => (b === null ? undefined : this.#inspect(b))));
  }

  /** Decodes an envelope and classifies it, fetching tag versions when needed. Never throws. */
  #inspect(bytes: Buffer): Inspected | undefined | Promise<Inspected | undefined> {
    const decoded = decodeEnvelope(bytes);
    if (decoded === undefined) return undefined;
    const entry = newEntry(decoded.meta, decoded.payload);
    if (decoded.meta.tags.length === 0) {
      return { entry, freshness: classify(decoded.meta, Date.now(), 'valid') };
    }
    return this.#tagVerdictFetching(decoded.meta).then(
      (verdict) => {
        if (verdict === 'soft') entry.meta.softInvalidated = true;
        entry.tagClock = this.#tagClock;
        return { entry, freshness: classify(entry.meta, Date.now(), verdict) };
      },
      () => undefined,
    );
  }

  async #tagVerdictFetching(meta: EntryMeta): Promise<TagVerdict> {
    if (this.#l1Live()) {
      const verdict = tagVerdict(meta, this.#tagVersions);
      if (verdict !== 'unknown') return verdict;
    }
    const flushSeq = this.#flushSeq;
    const tagMessages = this.#tagMessages;
    const fields: string[] = [];
    for (const tag of meta.tags) fields.push('s:' + tag, 'h:' + tag);
    const reply = await this.#redis.hmget(this.#keys.tagsKey, fields);
    const fetched = new Map<string, TagVersion>();
    meta.tags.forEach((tag, i) => {
      fetched.set(tag, { soft: Number(reply[2 * i] ?? 0), hard: Number(reply[2 * i + 1] ?? 0) });
    });
    if (this.#l1Live() && flushSeq === this.#flushSeq && tagMessages === this.#tagMessages) {
      // versions only grow; a fetch that raced an invalidation (or a bus outage) is used once, not kept
      for (const [tag, v] of fetched) {
        const known = this.#tagVersions.get(tag);
        if (known === undefined) this.#tagVersions.set(tag, v);
        else {
          known.soft = Math.max(known.soft, v.soft);
          known.hard = Math.max(known.hard, v.hard);
        }
      }
    }
    return tagVerdict(meta, fetched);
  }

  // ───────────────────────────── L1 ─────────────────────────────

  /** L1 is trusted only while the bus is subscribed (or when there is no bus by choice). */
  #l1Live(): boolean {
    return this.#l1 !== undefined && (this.#bus === undefined || this.#bus.connected);
  }

  #l1Lookup(key: string): Entry | undefined {
    const l1 = this.#l1;
    if (l1 === undefined || (this.#bus !== undefined && !this.#bus.connected)) return undefined;
    const e = l1.get(key);
    if (e === undefined) return undefined;
    if (e.meta.tags.length > 0 && e.tagClock !== this.#tagClock) {
      const verdict = tagVerdict(e.meta, this.#tagVersions);
      if (verdict === 'unknown' || verdict === 'hard') {
        l1.delete(key);
        return undefined;
      }
      if (verdict === 'soft') e.meta.softInvalidated = true;
      e.tagClock = this.#tagClock;
    }
    return e;
  }

  #l1Put(key: string, entry: Entry, seq: number): void {
    const l1 = this.#l1;
    if (l1 === undefined || !this.#l1Live()) return;
    if (this.#flushSeq > seq || (this.#keySeq.get(key) ?? 0) > seq) return;
    // a payload sliced from a socket chunk or the shared Buffer pool would pin the whole chunk: keep an exact copy
    if (entry.payload.buffer.byteLength > entry.payload.length + 64) {
      const copy = Buffer.allocUnsafeSlow(entry.payload.length);
      entry.payload.copy(copy);
      entry.payload = copy;
    }
    let size = entry.payload.length + L1_ENTRY_OVERHEAD_BYTES + key.length * 2;
    for (const tag of entry.meta.tags) size += tag.length * 2;
    l1.set(key, entry, size);
  }

  /** The shared (frozen) value of an entry; decoded at most once unless it holds binary data. */
  #shared(entry: Entry): unknown {
    if (entry.held === Held.Frozen) return entry.value;
    const value = this.#o.serializer.decode(entry.payload);
    if (entry.held === Held.CopyOnRead) return value;
    if (deepFreeze(value)) {
      entry.value = value;
      entry.held = Held.Frozen;
    } else {
      entry.held = Held.CopyOnRead;
    }
    return value;
  }

  /** A value for one caller only: a private decode, or the shared frozen one when `freeze: 'always'`. */
  #ownValue(entry: Entry): unknown {
    if (this.#o.freezeAlways || entry.held === Held.Frozen) return this.#shared(entry);
    return this.#o.serializer.decode(entry.payload);
  }

  #take(result: FlightResult): unknown {
    const own = result.own;
    if (own !== undefined && !this.#o.freezeAlways) {
      result.own = undefined;
      return own.value;
    }
    return this.#shared(result.entry);
  }

  #serveStale(key: string, entry: Entry, reason: StaleReason): unknown {
    this.#stats.staleServed++;
    this.#events.emit('stale-served', { key, reason });
    return this.#shared(entry);
  }

  #beginRead(): number {
    this.#readsInFlight++;
    return this.#seq;
  }

  #endRead(): void {
    if (--this.#readsInFlight === 0 && this.#keySeq.size > 0) this.#keySeq.clear();
  }

  #invalidateLocal(key: string): void {
    this.#seq++;
    if (this.#readsInFlight > 0) this.#keySeq.set(key, this.#seq);
    this.#l1?.delete(key);
    this.#flights.delete(key);
    this.#waits.wake(key);
  }

  #softInvalidateLocal(key: string): void {
    this.#seq++;
    if (this.#readsInFlight > 0) this.#keySeq.set(key, this.#seq);
    const e = this.#l1?.peek(key);
    if (e !== undefined) e.meta.softInvalidated = true;
    this.#flights.delete(key);
    this.#waits.wake(key);
  }

  #flushLocal(): void {
    this.#seq++;
    this.#flushSeq = this.#seq;
    this.#l1?.clear();
    this.#tagVersions.clear();
    this.#tagClock++;
    this.#flights.clear();
    this.#waits.wakeAll();
  }

  #applyTagVersions(tags: readonly string[], epoch: number, hard: boolean): void {
    for (const tag of tags) {
      const known = this.#tagVersions.get(tag);
      if (known === undefined) continue; // unknown tags are fetched when an entry needs them
      known.soft = Math.max(known.soft, epoch);
      if (hard) known.hard = Math.max(known.hard, epoch);
    }
    this.#tagClock++;
    this.#tagMessages++;
  }

  // ───────────────────────────── bus ─────────────────────────────

  async #startBus(client: RedisClient): Promise<void> {
    if (client.isCluster === true && client.status !== 'ready') {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('Redis Cluster not ready within 10 s')), 10_000);
        timer.unref();
        client.once('ready', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    try {
      await this.#bus!.start(client);
    } catch (error) {
      this.#emitError('bus', error);
      throw error;
    }
  }

  #onBusMessage(m: BusMessage): void {
    if (m.type === 'w') {
      this.#waits.wake(m.key);
      return;
    }
    if (m.sender === this.#id) return;
    this.#stats.busMessages++;
    const lagMillis = Date.now() - m.sentAt;
    this.#stats.busLagMillisTotal += lagMillis;
    if (lagMillis > this.#stats.busLagMillisMax) this.#stats.busLagMillisMax = lagMillis;
    switch (m.type) {
      case 'd':
        for (const key of m.keys) this.#invalidateLocal(key);
        break;
      case 's':
        for (const key of m.keys) this.#softInvalidateLocal(key);
        break;
      case 't':
        this.#applyTagVersions(m.tags, m.epoch, m.hard);
        break;
      case 'c':
        this.#flushLocal();
        break;
    }
    this.#events.emit('bus-message', { type: m.type, lagMillis });
  }

  #onBusDown(): void {
    this.#flushLocal();
    this.#events.emit('bus-state', { connected: false });
  }

  #onBusUp(reconnected: boolean): void {
    this.#flushLocal();
    if (reconnected) this.#stats.busReconnects++;
    this.#events.emit('bus-state', { connected: true });
  }

  // ───────────────────────────── bookkeeping ─────────────────────────────

  #l1Hit(key: string): void {
    this.#stats.l1Hits++;
    if (this.#events.has('hit')) this.#events.emit('hit', { key, tier: 'l1' });
  }

  #l2Hit(key: string): void {
    this.#stats.l2Hits++;
    if (this.#events.has('hit')) this.#events.emit('hit', { key, tier: 'l2' });
  }

  #miss(key: string): void {
    this.#stats.misses++;
    if (this.#events.has('miss')) this.#events.emit('miss', { key });
  }

  #newToken(): string {
    return `${this.#id}:${++this.#tokenCounter}`;
  }

  #newGeneration(): string {
    return `${this.#id}:${++this.#tokenCounter}`;
  }

  #toCacheError(operation: string, error: unknown): CacheError {
    return error instanceof CacheError ? error : new CacheRedisError(operation, error);
  }

  #emitError(operation: string, error: unknown): void {
    this.#stats.redisErrors++;
    this.#events.emit('error', { operation, error: this.#toCacheError(operation, error) });
  }

  /** Read-path failure: emitted, and thrown only with `throwOnRedisError`. */
  #redisFailed(operation: string, error: unknown): void {
    this.#emitError(operation, error);
    if (this.#o.throwOnRedisError) throw this.#toCacheError(operation, error);
  }

  /** Invalidation failure: emitted and always thrown. */
  #throwInvalidation(operation: string, error: unknown): never {
    this.#emitError(operation, error);
    throw this.#toCacheError(operation, error);
  }
}

function newEntry(meta: EntryMeta, payload: Buffer): Entry {
  return { meta, payload, value: undefined, held: Held.Bytes, tagClock: -1 };
}

function withTimeout<T>(promise: Promise<T>, millis: number): Promise<T | typeof TIMEOUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), millis);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export type { CacheEventMap };
