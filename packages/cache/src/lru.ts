/**
 * A least-recently-used map bounded by entry count and by bytes (the caller states each entry's size).
 * Written here instead of depending on `lru-cache` to keep the package free of runtime dependencies; it
 * needs only get/set/delete/clear and eviction, with O(1) for each (a Map plus an intrusive linked list).
 */
export class Lru<V> {
  readonly #map = new Map<string, LruNode<V>>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  #bytes = 0;
  /** Most recently used. */
  #head: LruNode<V> | undefined;
  /** Least recently used: evicted first. */
  #tail: LruNode<V> | undefined;

  /** Called for every evicted entry (not for explicit deletes), so the owner can count evictions. */
  onEvict: ((key: string) => void) | undefined;

  constructor(maxEntries: number, maxBytes: number) {
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#map.size;
  }

  /** Sum of the sizes given to {@link set}. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Returns the value and marks it most recently used. */
  get(key: string): V | undefined {
    const node = this.#map.get(key);
    if (node === undefined) return undefined;
    if (node !== this.#head) this.#moveToHead(node);
    return node.value;
  }

  /** Returns the value without touching recency. */
  peek(key: string): V | undefined {
    return this.#map.get(key)?.value;
  }

  /** Inserts or replaces, then evicts from the tail until both bounds hold. An entry larger than maxBytes is not kept. */
  set(key: string, value: V, size: number): void {
    const existing = this.#map.get(key);
    if (existing !== undefined) {
      this.#bytes += size - existing.size;
      existing.value = value;
      existing.size = size;
      if (existing !== this.#head) this.#moveToHead(existing);
    } else {
      const node: LruNode<V> = { key, value, size, prev: undefined, next: this.#head };
      if (this.#head !== undefined) this.#head.prev = node;
      this.#head = node;
      if (this.#tail === undefined) this.#tail = node;
      this.#map.set(key, node);
      this.#bytes += size;
    }
    while ((this.#map.size > this.#maxEntries || this.#bytes > this.#maxBytes) && this.#tail !== undefined) {
      const victim = this.#tail;
      this.#unlink(victim);
      this.onEvict?.(victim.key);
    }
  }

  /** Removes one entry; returns whether it existed. */
  delete(key: string): boolean {
    const node = this.#map.get(key);
    if (node === undefined) return false;
    this.#unlink(node);
    return true;
  }

  /** Removes everything. */
  clear(): void {
    this.#map.clear();
    this.#head = undefined;
    this.#tail = undefined;
    this.#bytes = 0;
  }

  /** Keys from most to least recently used (tests and debugging). */
  *keys(): IterableIterator<string> {
    for (let node = this.#head; node !== undefined; node = node.next) yield node.key;
  }

  #moveToHead(node: LruNode<V>): void {
    // detach
    if (node.prev !== undefined) node.prev.next = node.next;
    if (node.next !== undefined) node.next.prev = node.prev;
    if (this.#tail === node) this.#tail = node.prev;
    // attach at head
    node.prev = undefined;
    node.next = this.#head;
    if (this.#head !== undefined) this.#head.prev = node;
    this.#head = node;
    if (this.#tail === undefined) this.#tail = node;
  }

  #unlink(node: LruNode<V>): void {
    if (node.prev !== undefined) node.prev.next = node.next;
    else this.#head = node.next;
    if (node.next !== undefined) node.next.prev = node.prev;
    else this.#tail = node.prev;
    node.prev = undefined;
    node.next = undefined;
    this.#map.delete(node.key);
    this.#bytes -= node.size;
  }
}

interface LruNode<V> {
  key: string;
  value: V;
  size: number;
  prev: LruNode<V> | undefined;
  next: LruNode<V> | undefined;
}
