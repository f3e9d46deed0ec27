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
 * Collects the keys whose leases were granted around the same moment and calls the batch loader once for
 * all of them (DataLoader-style, flushed on `setImmediate` so that lease replies arriving in separate socket
 * reads still land in one batch).
 */
export class BatchCollector<V> {
  readonly #loader: BatchLoader<V>;
  #pending = new Map<string, Array<{ resolve: (item: BatchItem<V>) => void; reject: (error: unknown) => void }>>();
  #scheduled = false;

  constructor(loader: BatchLoader<V>) {
    this.#loader = loader;
  }

  /** Queues `key` for the next batch. */
  load(key: string): Promise<BatchItem<V>> {
    return new Promise((resolve, reject) => {
      const list = this.#pending.get(key);
      if (list === undefined) this.#pending.set(key, [{ resolve, reject }]);
      else list.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    this.#scheduled = false;
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
