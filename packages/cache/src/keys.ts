import { CacheKeyError, CacheOptionsError } from './errors.js';

/**
 * Redis key layout for one namespace. Every key that belongs to one cache key — its value, lease, lease
 * waiters flag and generation — shares the same `{hash tag}`, so Redis Cluster puts them in one slot and a
 * Lua script may touch all of them. All keys start with `<namespace>:` so `clear()` can find them by SCAN.
 *
 * - value       `<ns>:v{<key>}`
 * - lease       `<ns>:l{<key>}`
 * - waiters     `<ns>:w{<key>}` (exists while someone waits on the lease: the committer then publishes)
 * - generation  `<ns>:g{<key>}` (changed by every invalidation; write-backs compare it)
 * - tag epochs  `<ns>:t{tags}` (one hash: `~e` the namespace epoch, `s:<tag>` / `h:<tag>` versions)
 */
export class KeyLayout {
  readonly namespace: string;
  readonly #prefix: string;
  readonly #valuePrefix: string;
  /** Pub/sub channel of the namespace's bus. */
  readonly channel: string;
  /** Hash holding the tag epoch and per-tag versions. */
  readonly tagsKey: string;
  /** SCAN pattern matching every key of the namespace. */
  readonly scanPattern: string;

  constructor(namespace: string) {
    if (namespace.length === 0 || /[{}\s*?[\]\\]/.test(namespace)) {
      throw new CacheOptionsError('namespace', 'must be non-empty, without braces, glob characters or whitespace');
    }
    this.namespace = namespace;
    this.#prefix = namespace + ':';
    this.#valuePrefix = namespace + ':v{';
    this.channel = `${namespace}:bus`;
    this.tagsKey = `${namespace}:t{tags}`;
    this.scanPattern = `${namespace}:*`;
  }

  /**
   * The hash-tag body for a key. A key starting with `}` would make the tag `{}`, which Redis ignores
   * (hashing the whole name, splitting value and lease across slots), so such keys get a `~` in front.
   */
  #tagged(key: string): string {
    if (key.length === 0) throw new CacheKeyError('Cache keys must be non-empty strings');
    return key.charCodeAt(0) === 0x7d ? `{~${key}}` : `{${key}}`;
  }

  /** Value key (built without the template of {@link all}: it is on every L2 read). */
  value(key: string): string {
    if (key.length === 0) throw new CacheKeyError('Cache keys must be non-empty strings');
    return key.charCodeAt(0) === 0x7d ? `${this.#valuePrefix}~${key}}` : this.#valuePrefix + key + '}';
  }

  /** The four per-key Redis keys: value, lease, waiters, generation (the order the Lua scripts expect). */
  all(key: string): [string, string, string, string] {
    const t = this.#tagged(key);
    const p = this.#prefix;
    return [p + 'v' + t, p + 'l' + t, p + 'w' + t, p + 'g' + t];
  }
}

/** Validates tags: non-empty and without NUL (the envelope's separator). */
export function validateTags(tags: readonly string[]): void {
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.includes('\0')) {
      throw new CacheKeyError('Tags must be non-empty strings without NUL characters');
    }
  }
}
