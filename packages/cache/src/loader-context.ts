import { type Duration, parseDuration } from './duration.js';
import { validateTags } from './keys.js';
import type { ResolvedEntryOptions } from './options.js';

/**
 * Handed to a loader so that what gets cached can depend on what was loaded: a TTL from the row's own
 * expiry, tags from its foreign keys, or no caching at all (a "not found" you do not want to pin).
 */
export interface LoaderContext<V = unknown> {
  /** The key being loaded. */
  readonly key: string;
  /** The stale value, if one is in grace (read-only). */
  readonly stale: V | undefined;
  /** Overrides the TTL for this value. */
  setTtl(ttl: Duration): void;
  /** Overrides the grace period for this value. */
  setGrace(grace: Duration): void;
  /** Replaces the tags of this value. */
  setTags(tags: readonly string[]): void;
  /** Returns the value to the caller(s) without caching it. */
  skip(): void;
}

/** Computes the value of a missing or stale key. */
// ctx is deliberately not generic in V: a context typed by V would make TypeScript fix V (to unknown)
// before it looks at what the loader returns, so `getOrSet(k, async (ctx) => row)` would lose its type.
export type Loader<V> = (ctx: LoaderContext) => V | Promise<V>;

/** The cache's implementation of {@link LoaderContext}. */
export class LoaderContextImpl<V> implements LoaderContext<V> {
  readonly key: string;
  ttl: number;
  grace: number;
  tags: readonly string[];
  skipped = false;
  readonly #stale: (() => V) | undefined;

  constructor(key: string, options: ResolvedEntryOptions, stale: (() => V) | undefined) {
    this.key = key;
    this.ttl = options.ttl;
    this.grace = options.grace;
    this.tags = options.tags;
    this.#stale = stale;
  }

  get stale(): V | undefined {
    return this.#stale?.();
  }

  setTtl(ttl: Duration): void {
    this.ttl = Math.max(1, parseDuration(ttl, 'ctx.setTtl'));
  }

  setGrace(grace: Duration): void {
    this.grace = parseDuration(grace, 'ctx.setGrace');
  }

  setTags(tags: readonly string[]): void {
    validateTags(tags);
    this.tags = [...tags];
  }

  skip(): void {
    this.skipped = true;
  }
}
