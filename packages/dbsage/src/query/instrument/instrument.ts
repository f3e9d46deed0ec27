import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';
// the module's binding, not the global: Node 20's global `performance` is a lazy getter, run on every read
import { performance } from 'node:perf_hooks';
// the module's binding, not `process.nextTick`: the global `process` is an accessor, run on every read
import { nextTick } from 'node:process';
import { UsageError } from '../../errors.js';
import type { Finding } from '../../findings/finding.js';
import { fingerprintSql, loadParser } from '../../sql/parser.js';
import {
  DEFAULT_N_PLUS_ONE_RULE,
  detectInStream,
  type NPlusOneRuleOptions,
  type StreamEvent,
} from '../n-plus-one/detect-stream.js';
import { type EventStream, findNPlusOneInStreams, type NPlusOneEnvironment } from '../n-plus-one/find-n-plus-one.js';
import type { NPlusOneLink } from '../n-plus-one/link.js';
import { resolveLink } from '../n-plus-one/resolve-link.js';
import { generateRewrites, type NPlusOneRewrite } from '../n-plus-one/rewrite.js';
import { type LongCheckout, type PoolStats, WaitHistogram } from './pool-stats.js';
import { ShapeKeyCache } from './shape-key.js';

// Structural subsets of the drivers (the package does not depend on their types at run time).

/** The part of a node-postgres `Client` that is wrapped. */
export interface PgClientLike {
  // biome-ignore lint/suspicious/noExplicitAny: node-postgres overloads query(text|config|submittable, values?, cb?)
  query: (...args: any[]) => any;
  /** Set by pg-pool at each checkout. */
  release?: (err?: unknown) => void;
}

/** The part of a node-postgres `Pool` that is wrapped and read. */
export interface PgPoolLike {
  // biome-ignore lint/suspicious/noExplicitAny: connect(cb?) returns a promise or calls back
  connect: (...args: any[]) => any;
  // biome-ignore lint/suspicious/noExplicitAny: query(text|config, values?, cb?)
  query: (...args: any[]) => any;
  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter listener signature, as node-postgres declares it
  on(event: 'release' | 'remove', listener: (...args: any[]) => void): unknown;
  // biome-ignore lint/suspicious/noExplicitAny: EventEmitter listener signature
  removeListener(event: 'release' | 'remove', listener: (...args: any[]) => void): unknown;
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
  readonly options?: { max?: number };
  /** pg-pool's promise constructor (its `Promise` option; the global one by default). */
  readonly Promise?: PromiseConstructor;
}

/** The part of a PGlite instance that is wrapped. */
export interface PGliteLike {
  // biome-ignore lint/suspicious/noExplicitAny: PGlite's query is generic in its row type
  query: (query: string, params?: any[], options?: any) => Promise<any>;
  // biome-ignore lint/suspicious/noExplicitAny: PGlite's exec result
  exec: (query: string, options?: any) => Promise<any[]>;
  waitReady: Promise<void>;
}

/** One N+1 seen at the end of a request, with the rewrite when it can be written from the statements alone. */
export interface RuntimeNPlusOne {
  request: string;
  parentQuery: string;
  childQuery: string;
  count: number;
  totalMillis: number | null;
  link: NPlusOneLink | null;
  rewrite: NPlusOneRewrite | null;
}

/** What `onRequestEnd` receives. */
export interface RequestReport {
  name: string;
  queries: number;
  totalQueryMillis: number;
  durationMillis: number;
  nPlusOne: RuntimeNPlusOne[];
}

/** Named request-scoping modes of {@link instrument} (see {@link InstrumentOptions.scope}). */
export const INSTRUMENT_SCOPES = ['auto', 'continuation', 'als', 'none'] as const;
/** Union of the named scoping modes. */
export type InstrumentScopeMode = (typeof INSTRUMENT_SCOPES)[number];

/**
 * A request context the application already maintains, e.g. its own `AsyncLocalStorage` (pass it as is: it has
 * `getStore()`), or a framework's request-context store. `getStore()` must return one object per request
 * (identity matters; it is used as a WeakMap key) and undefined outside requests.
 */
export interface ExternalScope {
  getStore(): object | undefined;
}

/** True for a valid {@link InstrumentOptions.scope} value. */
export function isInstrumentScope(value: unknown): value is InstrumentScopeMode | ExternalScope {
  return (
    (typeof value === 'string' && (INSTRUMENT_SCOPES as readonly string[]).includes(value)) ||
    (typeof value === 'object' && value !== null && typeof (value as ExternalScope).getStore === 'function')
  );
}

/** Options of {@link instrument}, with documented defaults. */
export interface InstrumentOptions {
  /**
   * How queries are tied to the request that ran them (for the N+1 rule and request reports). Pool health
   * (acquire waits, counts, long checkouts) is recorded in every mode. Costs measured by `npm run bench:instrument`
   * (SELECT $1 round trips on a local PostgreSQL, Node 20; see bench/results/instrument.json for the run):
   *
   * - `'auto'` (default): `'continuation'` for a node-postgres pool on Node < 24, `'als'` on Node ≥ 24 (where
   *   AsyncLocalStorage rides on V8's continuation data and costs no hook) and for PGlite.
   * - `'continuation'` (node-postgres pools only): no async hook. A connection checked out inside a request belongs
   *   to it (so do all its queries), and the request stays current while the promise continuations of its start
   *   and of each of its query results run (the `await`s that follow, up to the next I/O). This covers request code
   *   that awaits queries, directly or through async functions, `Promise.all` included. Not covered: queries
   *   issued after the request awaited other I/O (a timer, a stream, another client) — they are not attributed
   *   (pool health still counts them); and code that runs in the same callback after a request started (or after
   *   one of its results arrived) counts as that request until the callback's microtasks have run, so two requests
   *   started in one callback are told apart only from their first query on. Use `'als'` or the application's own
   *   context for those. Cost: a variable read per query, and one promise reaction per query result (plus a tick
   *   when the code that follows the result makes no query on an idle connection: otherwise pg-pool's own hand-over
   *   tick ends the context).
   * - `'als'`: dbsage's own AsyncLocalStorage, entered by `runInRequest`/`middleware`: follows every async hop.
   *   On Node < 24 an enabled AsyncLocalStorage runs hooks on every promise and native async resource the process
   *   creates, inside requests or not, and promise code stays slower even after it is disabled again: on 1-row
   *   local queries, 24 instrumented processes vs 24 bare ones, 'als' measured −1.4 % wall / +7.2 % client CPU,
   *   'continuation' +3.4 % / +3.9 %, 'none' +0.5 % / +4.3 %, and an application's own AsyncLocalStorage without
   *   dbsage −0.4 % / +4.8 % (bench/results/instrument.json, A/A floor −1.1 % / +0.6 %; run-to-run spread of a few
   *   points, see bench/instrument/README.md).
   * - an {@link ExternalScope}: the application's own context (its AsyncLocalStorage or framework request
   *   store). dbsage adds no AsyncLocalStorage and no hook; per query it calls `getStore()` and one WeakMap
   *   lookup. A request ends when `runInRequest`'s function settles, when the `middleware()` response finishes,
   *   or when you call {@link Instrumentation.endRequest} with the context.
   * - `'none'`: no request tracking at all; `runInRequest` and `middleware` just run their function. No N+1
   *   reports; pool health only, for the price of two clock reads per checkout (three when it waits).
   */
  scope?: InstrumentScopeMode | ExternalScope;
  /** The N+1 rule: ≥ `minRepeats` (5) same-shape queries after a parent, ≥ `minTotalMillis` (50) together. */
  nPlusOne?: NPlusOneRuleOptions & { enabled?: boolean };
  /** Called at the end of every request scope. */
  onRequestEnd?: (report: RequestReport) => void;
  /** Called for each N+1 at the end of the request it happened in. */
  onNPlusOne?: (hit: RuntimeNPlusOne) => void;
  /** A checkout held longer than this is recorded with its stack, ms. Default 5 000. */
  longCheckoutMillis?: number;
  /** Record the stack of explicit `pool.connect()` checkouts (for long-checkout reports). Default true. */
  captureStacks?: boolean;
  /**
   * PendingQuerys kept per request for the N+1 rule: past this many, the older half is dropped (the report still counts
   * them). Default 10 000.
   */
  maxEventsPerRequest?: number;
  /** N+1 occurrences kept for {@link Instrumentation.findings}. Default 200. */
  maxRetainedHits?: number;
}

/** The handle `instrument()` returns. */
export interface Instrumentation {
  /** Runs `fn` as one request: its queries are grouped, and the N+1 rule applies when it ends. */
  runInRequest<T>(fn: () => T | Promise<T>, options?: { name?: string }): Promise<T>;
  /** Connect/Express-style middleware: each HTTP request is a request scope (ends on `finish`/`close`). */
  middleware(): (
    req: { method?: string; url?: string },
    res: { once(e: string, l: () => void): unknown },
    next: () => void,
  ) => void;
  /**
   * Ends the request of an {@link ExternalScope} context now (N+1 rule, `onRequestEnd`), for applications whose
   * requests do not go through `runInRequest` or `middleware`. `context` defaults to the current one. No-op in
   * the other modes or when the context ran no query.
   */
  endRequest(context?: object): void;
  /** Pool health so far. */
  stats(): PoolStats;
  /** N+1 findings so far, with rewrites checked on `env.client` when given. */
  findings(env?: NPlusOneEnvironment): Promise<Finding[]>;
  /** Removes the wrappers (the pool or PGlite behaves as before). */
  restore(): void;
}

interface RequestStore {
  /** Given by the caller, else `request-<id>` (made when reported). */
  name: string | undefined;
  id: number;
  /**
   * The statements it ran, flat: text, params, duration (ms) and rows for each, in order ({@link EVENT_SLOTS} per
   * statement). Flat, and rows kept only for statements that can be an N+1 parent (only their number for the others),
   * so that little of each statement outlives its result: what a request keeps survives young-generation collections
   * while it runs.
   */
  log: unknown[];
  /** PendingQuerys it ran (its log may hold fewer: see maxEventsPerRequest). */
  queries: number;
  started: number;
  queryMillis: number;
  /** Its report was made: later queries are not added (a stale 'continuation' context cannot grow it). */
  ended: boolean;
}

const STATE = Symbol('dbsage.instrumented');

/**
 * What dbsage keeps on each client that `pool.connect()` checked out, mutated in place at every such checkout: a
 * property lookup instead of Map/WeakMap entries added and deleted per query (those showed up in CPU profiles).
 */
interface ClientState {
  client: PgClientLike;
  /** Checked out now (between acquisition and release). */
  out: boolean;
  /** When it was acquired (performance.now). */
  t0: number;
  stack: Error | null;
  /** 'continuation': the request it was checked out for. */
  store: RequestStore | undefined;
  /**
   * The one callback-style query in flight that {@link ClientState.onResult} delivers (node-postgres runs a client's
   * queries one at a time; pool.query sends exactly one): slots reused per query instead of a closure per query.
   * `q` is undefined when the slots are free; a second concurrent callback query falls back to a closure.
   */
  q: RequestStore | undefined;
  qText: string;
  qParams: unknown[] | null;
  qT0: number;
  // biome-ignore lint/suspicious/noExplicitAny: node-postgres' query callback
  qCallback: ((err: any, res: any) => void) | undefined;
  onResult: (err: unknown, res: unknown) => void;
  /** The release function of the current checkout (dbsage's wrapper of pg-pool's), undefined when not out. */
  release: ((err?: unknown) => void) | undefined;
}

/** A `pool.query` in flight: what its result callback needs. */
class PendingQuery {
  /** pool.query: no idle connection was free when it asked, so its wait is timed (and `start` moves to the checkout). */
  queued = false;
  /** pool.query: the caller's promise, when it passed no callback. */
  resolve: ((value: unknown) => void) | undefined = undefined;
  constructor(
    readonly store: RequestStore | undefined,
    readonly text: string,
    readonly params: unknown[] | null,
    /** When it asked for a connection; once a queued wait ends, when it got one. */
    public start: number,
    // biome-ignore lint/suspicious/noExplicitAny: node-postgres' query callback
    public cb: ((err: any, res: any) => void) | undefined,
  ) {}
}

/** `new Promise(captureResolve)` leaves the promise's resolve function here: no executor closure per query. */
let resolveOut: ((value: unknown) => void) | undefined;
const captureResolve = (resolve: (value: unknown) => void): void => {
  resolveOut = resolve;
};

/**
 * Rejects a `pool.query` promise as pg-pool does: the error's stack is taken in a promise job of the caller's chain,
 * so that V8's async stack trace shows the application's awaiting functions, not the socket read that delivered the
 * error. `resolve` adopts the rejected chain before it rejects: when the stack is taken, V8 can walk from it to the
 * caller's promise and its awaits. Error path only.
 */
function rejectWithCallerStack(resolve: (value: unknown) => void, err: unknown): void {
  let reject: (e: unknown) => void = () => undefined;
  const rejected = new Promise<never>((_, r) => {
    reject = r;
  });
  resolve(
    rejected.catch((e: unknown) => {
      if (e instanceof Error) Error.captureStackTrace(e);
      throw e;
    }),
  );
  reject(err);
}
type WrappedClient = PgClientLike & { [STATE]?: ClientState };

function isPool(target: unknown): target is PgPoolLike {
  return typeof (target as PgPoolLike).connect === 'function' && 'totalCount' in (target as object);
}

/**
 * Instruments a node-postgres `Pool` or a PGlite instance: every query is tagged with the current request
 * (by default without async hooks on Node < 24; see {@link InstrumentOptions.scope}), the N+1 rule runs when a
 * request ends and reports through the callbacks, and for a pool
 * the acquire wait, active/idle/waiting counts and long checkouts (with the stack that took them) are recorded.
 *
 * The hot path is `pool.query`, which dbsage wraps as a whole: it reads the request and the pool's counts, passes
 * pg-pool its own result callback, and makes the one promise the caller awaits (pg-pool would make two: its own and a
 * `catch()` that rewrites an error's stack; dbsage does that on the error path only). Per query: two clock reads (three
 * when it waits for a connection), one small object and one closure, the statement appended to its request, and in
 * 'continuation' mode one promise reaction (and a tick when pg-pool's own hand-over tick cannot end the request's
 * context). Connections that `pool.query` checks out are not touched;
 * clients checked out by `pool.connect()` get a `query` wrapper (once) and a timed `release` (per checkout).
 */
export function instrument(target: PgPoolLike | PGliteLike, options: InstrumentOptions = {}): Instrumentation {
  const requested = options.scope ?? 'auto';
  if (!isInstrumentScope(requested)) {
    throw new UsageError(`instrument(): scope must be ${INSTRUMENT_SCOPES.join(', ')} or an object with getStore()`);
  }
  const pgPool = isPool(target);
  if (requested === 'continuation' && !pgPool) {
    throw new UsageError("instrument(): scope 'continuation' needs a node-postgres pool (PGlite: use 'als')");
  }
  const scope = requested === 'auto' ? autoScope(pgPool) : requested;
  // Only the 'als' mode creates (and so enables) an AsyncLocalStorage: on Node < 24 its hooks are the main cost.
  const als = scope === 'als' ? new AsyncLocalStorage<RequestStore>() : undefined;
  const continuation = scope === 'continuation';
  const external = typeof scope === 'object' ? scope : undefined;
  const externalStores = new WeakMap<object, RequestStore>();
  let requestCounter = 0;
  const newStore = (name?: string): RequestStore => ({
    name,
    id: ++requestCounter,
    log: [],
    queries: 0,
    started: performance.now(),
    queryMillis: 0,
    ended: false,
  });
  /**
   * 'continuation': the request whose start or query result is being handled, kept until the microtasks queued
   * meanwhile (the awaits of the request code that follow) have run, and cleared before any other callback runs:
   * a microtask queued at `enter` schedules a tick, and Node runs ticks only once the microtask queue is empty,
   * before it returns to the event loop. (`executionAsyncId()` cannot tell: Node pops the callback's id before
   * draining its microtasks.) One settled-promise reaction per query result, and a tick unless pg-pool's own
   * hand-over tick does the clearing (see pulseClears).
   */
  let current: RequestStore | undefined;
  let clearArmed = false;
  /**
   * pg-pool's hand-over tick will clear `current`: a `pool.query` made in the microtasks after a result found an idle
   * connection, and pg-pool then schedules that tick itself; it runs once the microtasks are done (a tick saved).
   */
  let pulseClears = false;
  const clearCurrent = (): void => {
    current = undefined;
    clearArmed = false;
    pulseClears = false;
  };
  /** Queued after a pool.query result resolved the caller's promise: runs after its first continuation. */
  const armClearUnlessPulse = (): void => {
    if (!pulseClears) nextTick(clearCurrent);
  };
  // then() on a settled promise queues a microtask more cheaply than queueMicrotask (which makes an AsyncResource)
  const settled = Promise.resolve();
  /** Makes sure `current` is cleared once the microtasks queued so far (and those they queue) have run. */
  const armClear = (): void => {
    if (!clearArmed) {
      clearArmed = true;
      void settled.then(armClearUnlessPulse);
    }
  };
  const enter = (store: RequestStore): void => {
    current = store;
    armClear();
  };
  const continuationStore = (): RequestStore | undefined =>
    current !== undefined && !current.ended ? current : undefined;
  /** The store of the current request, or undefined outside requests (and always in 'none' mode). */
  const currentStore: () => RequestStore | undefined = als
    ? () => als.getStore()
    : continuation
      ? continuationStore
      : external
        ? () => {
            const ctx = external.getStore();
            if (ctx === undefined || ctx === null) return undefined;
            let store = externalStores.get(ctx);
            if (store === undefined) {
              store = newStore();
              externalStores.set(ctx, store);
            }
            return store;
          }
        : () => undefined;
  const shapes = new ShapeKeyCache();
  const rule = { ...(options.nPlusOne ?? {}) };
  const nPlusOneEnabled = options.nPlusOne?.enabled ?? true;
  const longMillis = options.longCheckoutMillis ?? 5000;
  const captureStacks = options.captureStacks ?? true;
  const maxEvents = options.maxEventsPerRequest ?? 10_000;
  const maxHits = options.maxRetainedHits ?? 200;
  const started = performance.now();
  const retained: EventStream[] = [];
  const wait = new WaitHistogram();
  const longCheckouts: LongCheckout[] = [];
  let queries = 0;
  let peakActive = 0;
  let peakWaiting = 0;
  let waited = 0;
  const restorers: (() => void)[] = [];
  void loadParser().catch(() => undefined);

  /** Appends a finished statement to its request's log. */
  const record = (
    store: RequestStore,
    text: string,
    params: readonly unknown[] | null,
    duration: number,
    result: unknown,
  ): void => {
    if (store.ended) return;
    store.queryMillis += duration;
    store.queries++;
    const log = store.log;
    const n = log.length;
    if (n !== 0) {
      // followed by the same statement: a repeated one, never an N+1 parent, whose rows the rewrite does not need
      // (their number is kept)
      if (log[n - EVENT_SLOTS] === text) {
        const rows = log[n - 1];
        if (rows !== null && typeof rows === 'object') log[n - 1] = (rows as unknown[]).length;
      }
      // over the limit: the older half goes at once (not one shift per query)
      if (n >= maxEvents * EVENT_SLOTS) log.splice(0, Math.ceil(maxEvents / 2) * EVENT_SLOTS);
    }
    log.push(text, params, duration, (result as { rows?: unknown[] } | undefined)?.rows ?? null);
  };

  const endRequest = (store: RequestStore): void => {
    store.ended = true;
    store.name ??= `request-${store.id}`;
    const name = store.name;
    const hits: RuntimeNPlusOne[] = [];
    // the children's total is at most all the request's query time: most requests are ruled out here
    if (
      nPlusOneEnabled &&
      store.queries >= (rule.minRepeats ?? DEFAULT_N_PLUS_ONE_RULE.minRepeats) + 1 &&
      store.queryMillis >= (rule.minTotalMillis ?? DEFAULT_N_PLUS_ONE_RULE.minTotalMillis)
    ) {
      const events = streamEvents(store.log, shapes);
      for (const hit of detectInStream(events, rule)) {
        let link: NPlusOneLink | null = null;
        let rewrite: NPlusOneRewrite | null = null;
        try {
          link = resolveLink(hit.parent.query, hit.child.query, {
            ...(hit.parent.rows ? { parentRows: hit.parent.rows } : {}),
            childParams: hit.child.params,
          });
          if (link) {
            const r = generateRewrites(hit.parent.query, hit.child.query, link);
            rewrite = r.primary ?? r.batch;
          }
        } catch {
          // The parser is not loaded yet (first milliseconds of the process): report without a rewrite.
        }
        const runtime: RuntimeNPlusOne = {
          request: name,
          parentQuery: hit.parent.query,
          childQuery: hit.child.query,
          count: hit.child.count,
          totalMillis: hit.child.totalMillis,
          link,
          rewrite,
        };
        hits.push(runtime);
        const children = events.filter((e) => e.fingerprint === hit.child.fingerprint).slice(0, 200);
        if (retained.length >= maxHits) retained.shift();
        retained.push({ id: name, events: [{ ...hit.parent }, ...children] });
        options.onNPlusOne?.(runtime);
      }
    }
    options.onRequestEnd?.({
      name,
      queries: store.queries,
      totalQueryMillis: store.queryMillis,
      durationMillis: performance.now() - store.started,
      nPlusOne: hits,
    });
  };

  /** Runs `fn` and ends `store`'s request when it settles. Not an async function: one promise fewer per request. */
  const runThenEnd = <T>(store: RequestStore, run: () => T | Promise<T>): Promise<T> => {
    let result: T | Promise<T>;
    try {
      result = run();
    } catch (error) {
      endRequest(store);
      return Promise.reject(error);
    }
    return Promise.resolve(result).then(
      (value) => {
        endRequest(store);
        return value;
      },
      (error: unknown) => {
        endRequest(store);
        throw error;
      },
    );
  };

  const endExternal = (ctx: object | undefined): void => {
    if (ctx === undefined || ctx === null) return;
    const store = externalStores.get(ctx);
    if (store === undefined) return;
    externalStores.delete(ctx);
    endRequest(store);
  };

  const runInRequest = <T>(fn: () => T | Promise<T>, o: { name?: string } = {}): Promise<T> => {
    if (als) {
      const store = newStore(o.name);
      return runThenEnd(store, () => als.run(store, fn));
    }
    if (continuation) {
      const store = newStore(o.name);
      return runThenEnd(store, () => {
        current = store;
        try {
          return fn();
        } finally {
          // unless its first query (made in microtasks, on an idle connection) left the clear to pg-pool's tick
          if (!pulseClears) armClear();
        }
      });
    }
    if (external) {
      const ctx = external.getStore();
      if (ctx === undefined || ctx === null) return runThenEnd(newStore('(no request context)'), fn);
      const store = currentStore()!;
      if (o.name !== undefined) store.name = o.name;
      let result: T | Promise<T>;
      try {
        result = fn();
      } catch (error) {
        endExternal(ctx);
        return Promise.reject(error);
      }
      return Promise.resolve(result).then(
        (value) => {
          endExternal(ctx);
          return value;
        },
        (error: unknown) => {
          endExternal(ctx);
          throw error;
        },
      );
    }
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  };

  // --------------------------------------------------------------------------------------------- node-postgres
  /** Wrapped clients still in the pool (removed on the pool's 'remove' event): those checked out by `connect()`. */
  const clientStates = new Set<ClientState>();
  const addLongCheckout = (held: number, stack: Error | null): void => {
    longCheckouts.push({ heldMillis: held, stack: cleanStack(stack), releasedAt: Date.now() });
    if (longCheckouts.length > 100) longCheckouts.shift();
  };
  /** A callback-style query's result on a checked-out client: recorded, the request made current, the callback. */
  const deliver = (
    store: RequestStore,
    text: string,
    params: unknown[] | null,
    t0: number,
    // biome-ignore lint/suspicious/noExplicitAny: node-postgres' query callback
    cb: (err: any, res: any) => void,
    err: unknown,
    res: unknown,
  ): void => {
    record(store, text, params, performance.now() - t0, err ? undefined : res);
    if (continuation) enter(store);
    cb(err, res);
  };
  /**
   * Wraps `query` of a client checked out by `pool.connect()` (the first time it is): its queries are recorded while
   * that checkout lasts. Queries that `pool.query` sends on it go straight through (`out` is false then).
   */
  const wrapClient = (client: WrappedClient): ClientState => {
    const existing = client[STATE];
    if (existing) return existing;
    const state: ClientState = {
      client,
      out: false,
      t0: 0,
      stack: null,
      store: undefined,
      q: undefined,
      qText: '',
      qParams: null,
      qT0: 0,
      qCallback: undefined,
      release: undefined,
      onResult: (err, res) => {
        const store = state.q!;
        const cb = state.qCallback!;
        const params = state.qParams;
        state.q = undefined;
        state.qCallback = undefined;
        state.qParams = null;
        deliver(store, state.qText, params, state.qT0, cb, err, res);
      },
    };
    const original = client.query;
    client[STATE] = state;
    clientStates.add(state);
    // biome-ignore lint/suspicious/noExplicitAny: mirrors node-postgres' overloads
    client.query = function (this: unknown, config: any, values?: any, callback?: any): any {
      if (!state.out) return original.call(this, config, values, callback);
      queries++;
      // 'continuation': the request the connection was checked out for (exact, whatever callback runs this)
      const store =
        config && typeof config.submit !== 'function' ? (continuation ? state.store : currentStore()) : undefined;
      if (store === undefined) return original.call(this, config, values, callback);
      const text: string = typeof config === 'string' ? config : config.text;
      const cb = typeof values === 'function' ? values : callback;
      const params: unknown[] | null =
        (typeof values === 'function' || values === undefined ? config.values : values) ?? null;
      const t0 = performance.now();
      if (typeof cb === 'function') {
        if (state.q === undefined) {
          state.q = store;
          state.qText = text;
          state.qParams = params;
          state.qT0 = t0;
          state.qCallback = cb;
          return original.call(this, config, typeof values === 'function' ? undefined : values, state.onResult);
        }
        return original.call(
          this,
          config,
          typeof values === 'function' ? undefined : values,
          (err: unknown, res: unknown) => deliver(store, text, params, t0, cb, err, res),
        );
      }
      return (original.call(this, config, values) as Promise<unknown>).then(
        (res) => {
          record(store, text, params, performance.now() - t0, res);
          if (continuation) enter(store);
          return res;
        },
        (err: unknown) => {
          record(store, text, params, performance.now() - t0, undefined);
          if (continuation) enter(store);
          throw err;
        },
      );
    };
    restorers.push(() => {
      client.query = original;
      // undefined rather than delete: deleting a property turns the client into a slow dictionary-mode object
      client[STATE] = undefined;
      clientStates.delete(state);
    });
    return state;
  };

  let stats: () => PoolStats;
  if (isPool(target)) {
    const pool = target;
    /** Set by the pool.query wrapper around its call of pg-pool's query: the `connect()` inside it is that query's. */
    let asking: PendingQuery | undefined;
    /**
     * Samples the peaks after a checkout was asked for or made. Asks that idle connections will serve on the next tick
     * (pg-pool queues them too) count as active, not waiting.
     */
    const sample = (): void => {
      const idle = pool.idleCount;
      const asked = pool.waitingCount;
      const served = Math.min(asked, idle);
      const active = pool.totalCount - idle + served;
      if (active > peakActive) peakActive = active;
      if (asked - served > peakWaiting) peakWaiting = asked - served;
    };
    const waitEnded = (t0: number): number => {
      const now = performance.now();
      const w = now - t0;
      wait.add(w);
      if (w >= 1) waited++;
      return now;
    };
    /** The result of a `pool.query`: recorded, the request made current, then the caller's callback or promise. */
    const finish = (q: PendingQuery, err: unknown, res: unknown): void => {
      const end = performance.now();
      const held = end - q.start;
      const store = q.store;
      // a clear that was left to pg-pool's tick and did not happen (a callback outside any microtasks, so any earlier
      // ones have run): not left pending
      if (pulseClears && executionAsyncId() !== 0) clearCurrent();
      if (store !== undefined) {
        record(store, q.text, q.params, held, err ? undefined : res);
        if (continuation) current = store;
      }
      if (held >= longMillis) addLongCheckout(held, null);
      const cb = q.cb;
      if (cb !== undefined) cb(err, res);
      else if (err) rejectWithCallerStack(q.resolve!, err);
      else q.resolve!(res);
      // queued after the caller's continuation: if that made a pool.query on an idle connection, pg-pool's tick clears
      if (continuation && store !== undefined) armClear();
    };
    const onRemove = (client: WrappedClient) => {
      const state = client[STATE];
      if (state !== undefined) clientStates.delete(state);
    };
    pool.on('remove', onRemove);
    const originalConnect = pool.connect;
    const originalQuery = pool.query;
    // pg-pool's hand-over of an idle connection (a tick it schedules in connect()): it clears the continuation's
    // request when a result's microtasks made a query (see pulseClears). Only from a tick (an async id), never when
    // a release calls it synchronously inside those microtasks.
    const internals = pool as PgPoolLike & { _pulseQueue?: () => unknown; ending?: boolean };
    const originalPulse = internals._pulseQueue;
    const pulseTick = continuation && typeof originalPulse === 'function';
    if (pulseTick) {
      internals._pulseQueue = function (this: unknown) {
        if (pulseClears && executionAsyncId() !== 0) clearCurrent();
        return originalPulse.call(this);
      };
    }
    // biome-ignore lint/suspicious/noExplicitAny: connect(cb?)
    pool.connect = function (this: unknown, cb?: any): any {
      const q = asking;
      if (q !== undefined) {
        // pool.query's own checkout: an idle connection is handed over on the next tick (a zero wait, counted when
        // asked); otherwise the wait is timed, and the query's duration starts when it ends
        asking = undefined;
        if (!q.queued) return originalConnect.call(this, cb);
        return originalConnect.call(this, (err: unknown, client: unknown, release: unknown) => {
          if (!err) {
            q.start = waitEnded(q.start);
            sample();
          }
          cb(err, client, release);
        });
      }
      const t0 = performance.now();
      const idle = pool.idleCount > pool.waitingCount;
      const stack = captureStacks ? new Error('connection checked out here') : null;
      // 'continuation': the connection belongs to the request current now (the caller's, synchronously)
      const store = continuation ? continuationStore() : undefined;
      if (typeof cb === 'function') {
        return originalConnect.call(this, (err: unknown, client: PgClientLike, release: unknown) => {
          if (err) {
            cb(err, client, release);
            return;
          }
          const state = acquired(t0, idle, client, stack, store);
          // the pool may hand the connection over while another request's result is being delivered
          const previous = current;
          if (store !== undefined) current = store;
          try {
            cb(err, client, state.release);
          } finally {
            if (store !== undefined) current = previous;
          }
        });
      }
      return (originalConnect.call(this) as Promise<PgClientLike>).then((client) => {
        acquired(t0, idle, client, stack, store);
        if (store !== undefined) enter(store);
        return client;
      });
    };
    /** An explicit checkout was made: the client's queries are recorded, and its release is timed. */
    const acquired = (
      t0: number,
      idle: boolean,
      client: WrappedClient,
      stack: Error | null,
      store: RequestStore | undefined,
    ): ClientState => {
      let now = t0;
      if (idle) wait.addZero();
      else now = waitEnded(t0);
      const state = wrapClient(client);
      state.out = true;
      state.t0 = now;
      state.stack = stack;
      state.store = store;
      sample();
      // pg-pool gives the client a new release function at every checkout: this one's end is timed
      const release = client.release!;
      const wrapped = (err?: unknown): void => {
        if (state.release === wrapped) {
          state.release = undefined;
          state.out = false;
          state.store = undefined;
          const held = performance.now() - state.t0;
          if (held >= longMillis) addLongCheckout(held, state.stack);
          state.stack = null;
        }
        release(err);
      };
      state.release = wrapped;
      client.release = wrapped;
      return state;
    };
    // biome-ignore lint/suspicious/noExplicitAny: query(text|config, values?, cb?)
    pool.query = function (this: unknown, text: any, values?: any, cb?: any): any {
      queries++;
      // pg-pool's own error for a function as the first argument, and submittables (cursors, streams): as they were
      if (
        typeof text !== 'string' &&
        (typeof text !== 'object' || text === null || typeof text.submit === 'function')
      ) {
        return originalQuery.call(this, text, values, cb);
      }
      if (typeof values === 'function') {
        cb = values;
        values = undefined;
      }
      const store = currentStore();
      const t0 = performance.now();
      const idle = pool.idleCount;
      const waiting = pool.waitingCount;
      const q = new PendingQuery(
        store,
        store === undefined ? '' : typeof text === 'string' ? text : text.text,
        store === undefined ? null : (values ?? (typeof text === 'string' ? undefined : text.values) ?? null),
        t0,
        typeof cb === 'function' ? cb : undefined,
      );
      if (idle > waiting) {
        // an idle connection is free for this query: pg-pool hands it over on the next tick
        if (current !== undefined && pulseTick && internals.ending !== true && executionAsyncId() === 0) {
          pulseClears = true;
        }
        wait.addZero();
      } else q.queued = true;
      let promise: Promise<unknown> | undefined;
      if (q.cb === undefined) {
        // one promise where pg-pool makes two (its own and a catch() that rewrites the error's stack; done here
        // on the error path only)
        promise = new (pool.Promise ?? Promise)(captureResolve);
        q.resolve = resolveOut;
      }
      asking = q;
      try {
        originalQuery.call(this, text, values, (err: unknown, res: unknown) => finish(q, err, res));
      } finally {
        asking = undefined;
      }
      sample();
      return promise;
    };
    restorers.push(() => {
      pool.connect = originalConnect;
      pool.query = originalQuery;
      if (pulseTick) internals._pulseQueue = originalPulse;
      pool.removeListener('remove', onRemove);
    });
    stats = () => {
      const now = performance.now();
      const stillHeld = [...clientStates]
        .filter((c) => c.out && now - c.t0 >= longMillis)
        .map((c) => ({ heldMillis: now - c.t0, stack: cleanStack(c.stack), releasedAt: 0 }));
      return {
        kind: 'pg-pool',
        maxSize: pool.options?.max ?? null,
        active: pool.totalCount - pool.idleCount,
        idle: pool.idleCount,
        waiting: pool.waitingCount,
        peakActive,
        peakWaiting,
        acquisitions: wait.count,
        acquireWaitMillis: {
          mean: wait.count ? wait.sum / wait.count : 0,
          p50: wait.percentile(50),
          p95: wait.percentile(95),
          p99: wait.percentile(99),
          max: wait.max,
        },
        waitedAcquisitions: waited,
        longCheckouts: [...longCheckouts, ...stillHeld],
        queries,
        observedMillis: now - started,
      };
    };
  } else {
    // ----------------------------------------------------------------------------------------------- PGlite
    const db = target;
    const originalQuery = db.query;
    const originalExec = db.exec;
    db.query = function (this: unknown, query: string, params?: unknown[], opts?: unknown) {
      queries++;
      const store = currentStore();
      if (store === undefined) return originalQuery.call(this, query, params, opts);
      const t0 = performance.now();
      return originalQuery.call(this, query, params, opts).then((res) => {
        record(store, query, params ?? null, performance.now() - t0, res);
        return res;
      });
    } as PGliteLike['query'];
    db.exec = function (this: unknown, query: string, opts?: unknown) {
      queries++;
      const store = currentStore();
      if (store === undefined) return originalExec.call(this, query, opts);
      const t0 = performance.now();
      return originalExec.call(this, query, opts).then((res) => {
        record(store, query, null, performance.now() - t0, res[res.length - 1]);
        return res;
      });
    } as PGliteLike['exec'];
    restorers.push(() => {
      db.query = originalQuery;
      db.exec = originalExec;
    });
    stats = () => ({
      kind: 'pglite',
      maxSize: 1,
      active: 0,
      idle: 1,
      waiting: 0,
      peakActive: 1,
      peakWaiting: 0,
      acquisitions: 0,
      acquireWaitMillis: { mean: 0, p50: 0, p95: 0, p99: 0, max: 0 },
      waitedAcquisitions: 0,
      longCheckouts: [],
      queries,
      observedMillis: performance.now() - started,
    });
  }

  return {
    runInRequest,
    middleware() {
      return (req, res, next) => {
        const name = `${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0]}`;
        if (!als && !external && !continuation) {
          next();
          return;
        }
        const ctx = external?.getStore();
        const store =
          als || continuation ? newStore(name) : ctx === undefined || ctx === null ? undefined : currentStore();
        if (store === undefined) {
          next();
          return;
        }
        store.name = name;
        let ended = false;
        const end = () => {
          if (ended) return;
          ended = true;
          if (als || continuation) endRequest(store);
          else endExternal(ctx);
        };
        res.once('finish', end);
        res.once('close', end);
        if (als) als.run(store, next);
        else {
          if (continuation) enter(store);
          next();
        }
      };
    },
    endRequest(context?: object) {
      if (external) endExternal(context ?? external.getStore());
    },
    stats: () => stats(),
    async findings(env = {}) {
      await loadParser();
      const streams = retained.map((s) => ({
        id: s.id,
        events: s.events.map((e) => ({ ...e, fingerprint: safeFingerprint(e.query) })),
      }));
      return findNPlusOneInStreams(streams, 'runtime', env, rule);
    },
    restore() {
      for (const r of restorers.splice(0).reverse()) r();
      // An enabled AsyncLocalStorage adds work to every async resource of the process: switch it off.
      als?.disable();
    },
  };
}

/**
 * The default scope: a hook-free continuation for node-postgres pools while AsyncLocalStorage costs hooks (Node < 24);
 * AsyncLocalStorage where it is built on V8's continuation-preserved data (Node ≥ 24) or for PGlite, whose results
 * are not delivered from a per-connection I/O callback.
 */
function autoScope(pgPool: boolean): 'continuation' | 'als' {
  const major = Number(process.versions.node.split('.')[0]);
  return pgPool && major < 24 ? 'continuation' : 'als';
}

/** Slots per statement in {@link RequestStore.log}: text, params, duration, rows. */
const EVENT_SLOTS = 4;

/** The N+1 rule's view of a request's log (made only for requests it examines). */
function streamEvents(log: readonly unknown[], shapes: ShapeKeyCache): StreamEvent[] {
  const events: StreamEvent[] = [];
  for (let i = 0; i < log.length; i += EVENT_SLOTS) {
    const query = log[i] as string;
    // the rows, or only their number once they were not needed (see record)
    const kept = log[i + 3] as Record<string, unknown>[] | number | null;
    const rows = typeof kept === 'number' ? null : kept;
    events.push({
      fingerprint: shapes.key(query),
      query,
      params: log[i + 1] as readonly unknown[] | null,
      durationMillis: log[i + 2] as number,
      rows,
      rowCount: typeof kept === 'number' ? kept : rows ? rows.length : null,
    });
  }
  return events;
}

function safeFingerprint(text: string): string {
  try {
    return fingerprintSql(text);
  } catch {
    return text;
  }
}

function cleanStack(error: Error | null): string {
  if (!error?.stack) {
    return '(stack not captured: captureStacks is off, or it was pool.query holding the connection for one query)';
  }
  return error.stack
    .split('\n')
    .slice(1)
    .filter((l) => !l.includes('/query/instrument/') && !l.includes('node:internal'))
    .map((l) => l.trim())
    .join('\n');
}
