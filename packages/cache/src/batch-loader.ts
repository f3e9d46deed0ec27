/** What a batch loader returns: a Map by key, or an array aligned with the keys it was given. */
export type BatchResult<V> = ReadonlyMap<string, V> | readonly V[];

/** Loads many keys in one call (one SQL `WHERE id = ANY($1)`), for `getOrSetMany`. */
export type BatchLoader<V> = (keys: string[]) => Promise<BatchResult<V>> | BatchResult<V>;

/** Outcome for one key: `found` false when the batch result had no entry for it (nothing is cached). */
export interface BatchItem<V> {
  found: boolean;
  value: V | undefined;
}

/**
 * Collects the keys whose leases were granted and calls the batch loader once for all of them. The first
 * batch is flushed once every flight started by `getOrSetMany` has seen its first lease reply (on a Cluster
 * those replies come from several nodes, in separate socket reads); keys loaded later (after waiting on
 * another process) are batched DataLoader-style per `setImmediate`.
 */
export class BatchCollector<V> {
  readonly #loader: BatchLoader<V>;
  #pending = new Map<string, Array<{ resolve: (item: BatchItem<V>) => void; reject: (error: unknown) => void }>>();
  #scheduled = false;
  #expected = 0;
  #decided = 0;

  constructor(loader: BatchLoader<V>) {
    this.#loader = loader;
  }

  /** Queues `key` for the next batch. */
  load(key: string): Promise<BatchItem<V>> {
    return new Promise((resolve, reject) => {
      const list = this.#pending.get(key);
      if (list === undefined) this.#pending.set(key, [{ resolve, reject }]);
      else list.push({ resolve, reject });
      if (this.#expected === 0) this.#schedule();
    });
  }

  /** Holds the first flush until `count` flights have called {@link decided}. */
  expect(count: number): void {
    this.#expected = count;
    this.#decided = 0;
  }

  /** One flight has seen its first lease reply (it has called {@link load} by now if it is going to). */
  decided(): void {
    if (this.#expected === 0) return;
    if (++this.#decided >= this.#expected) {
      this.#expected = 0;
      this.#schedule();
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    this.#scheduled = false;
    if (batch.size === 0) return;
    const keys = [...batch.keys()];
    try {
      const result = await this.#loader(keys);
      keys.forEach((key, i) => {
        let item: BatchItem<V>;
        if (result instanceof Map) {
          item = { found: result.has(key), value: result.get(key) };
        } else {
          const array = result as readonly V[];
          item = { found: i < array.length, value: array[i] };
        }
        for (const waiter of batch.get(key) ?? []) waiter.resolve(item);
      });
    } catch (error) {
      for (const list of batch.values()) for (const waiter of list) waiter.reject(error);
    }
  }
}
