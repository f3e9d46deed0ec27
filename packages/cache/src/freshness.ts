import type { EntryMeta } from './envelope.js';

/**
 * The freshness state machine, as pure functions so it can be tested without Redis.
 *
 *   fresh ──(freshUntil passes, expire(), soft tag invalidation)──▶ stale ──(staleUntil passes)──▶ dead
 *     └──────────────────(delete(), hard tag invalidation)─────────────────────────────────────────▲
 *
 * What a read does in each state is {@link decide}d from the state and the XFetch draw.
 */
export type Freshness = 'fresh' | 'stale' | 'dead';

/** Result of comparing an entry's tags with the known tag versions. */
export type TagVerdict = 'valid' | 'soft' | 'hard' | 'unknown';

/** Tag versions: the epoch at which the tag was last soft- and hard-invalidated (0 = never). */
export interface TagVersion {
  soft: number;
  hard: number;
}

/**
 * Compares an entry's tags with tag versions. A tag invalidated at epoch `v` affects entries whose
 * `tagEpoch` (read before their loader started) is below `v`; counters, not clocks, so hosts need not agree
 * on time. Returns `unknown` if a version is missing from `versions`.
 */
export function tagVerdict(meta: EntryMeta, versions: ReadonlyMap<string, TagVersion>): TagVerdict {
  let verdict: TagVerdict = 'valid';
  for (const tag of meta.tags) {
    const v = versions.get(tag);
    if (v === undefined) return 'unknown';
    if (v.hard > meta.tagEpoch) return 'hard';
    if (v.soft > meta.tagEpoch) verdict = 'soft';
  }
  return verdict;
}

/** Classifies an entry at `now` (ms since epoch). `tags` must not be `unknown`. */
export function classify(meta: EntryMeta, now: number, tags: TagVerdict): Freshness {
  if (tags === 'hard') return 'dead';
  if (now < meta.freshUntil && !meta.softInvalidated && tags !== 'soft') return 'fresh';
  return now < meta.staleUntil ? 'stale' : 'dead';
}

/**
 * Probabilistic early expiration, "XFetch": Vattani, Chierichetti, Lowenstein, "Optimal Probabilistic
 * Cache Stampede Prevention", PVLDB 8(8), 2015 — recompute when `now − δ·β·ln(rand) ≥ expiry`, where δ is
 * the time the last recomputation took. Reads near expiry of keys that are slow to compute refresh early,
 * with a probability that rises towards expiry; a key read often gets one early refresh, a cold key none.
 * `random` must be in (0, 1].
 */
export function shouldRefreshEarly(meta: EntryMeta, now: number, beta: number, random: number): boolean {
  if (beta <= 0) return false;
  const delta = Math.max(1, meta.loadMillis);
  return now - delta * beta * Math.log(random) >= meta.freshUntil;
}

/** What a `getOrSet` does with the entry it found. */
export type ReadAction =
  /** Serve the entry. */
  | 'serve'
  /** Serve the entry and start one background refresh (XFetch fired). */
  | 'serve-and-refresh'
  /** Load, serving the stale entry if the load is slower than softTimeout or fails. */
  | 'load-with-stale'
  /** Load; nothing to fall back on (hardTimeout applies). */
  | 'load';

/** The decision table. `earlyRefresh` is the XFetch draw for a fresh entry. */
export function decide(freshness: Freshness | undefined, earlyRefresh: boolean): ReadAction {
  if (freshness === 'fresh') return earlyRefresh ? 'serve-and-refresh' : 'serve';
  if (freshness === 'stale') return 'load-with-stale';
  return 'load';
}
