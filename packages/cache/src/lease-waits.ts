/**
 * Callers waiting for another process's lease on a key, woken by bus messages (the holder's wake-up, or an
 * invalidation of the key) instead of by polling. A waiter registers *before* it asks Redis for the lease,
 * because the wake-up travels on the subscriber connection and may overtake the lease reply.
 */
export class LeaseWaits {
  readonly #byKey = new Map<string, Set<LeaseWaiter>>();

  /** Registers a waiter for `key`; call {@link LeaseWaiter.dispose} when done with it. */
  register(key: string): LeaseWaiter {
    let set = this.#byKey.get(key);
    if (set === undefined) {
      set = new Set();
      this.#byKey.set(key, set);
    }
    const waiter = new LeaseWaiter(() => {
      set.delete(waiter);
      if (set.size === 0 && this.#byKey.get(key) === set) this.#byKey.delete(key);
    });
    set.add(waiter);
    return waiter;
  }

  /** Wakes every waiter of `key`. */
  wake(key: string): void {
    const set = this.#byKey.get(key);
    if (set === undefined) return;
    for (const waiter of set) waiter.wake();
  }

  /** Wakes everyone (bus lost or regained: messages may have been missed). */
  wakeAll(): void {
    for (const set of this.#byKey.values()) for (const waiter of set) waiter.wake();
  }
}

/** One registered waiter. */
export class LeaseWaiter {
  #woken = false;
  #resolve: ((woken: boolean) => void) | undefined;
  readonly #dispose: () => void;

  constructor(dispose: () => void) {
    this.#dispose = dispose;
  }

  /** Marks the waiter woken and resolves a pending {@link until}. */
  wake(): void {
    this.#woken = true;
    this.#resolve?.(true);
  }

  /** Resolves true when woken (or already woken), false after `millis`. */
  until(millis: number): Promise<boolean> {
    if (this.#woken) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#resolve = undefined;
        resolve(false);
      }, millis);
      this.#resolve = (woken) => {
        clearTimeout(timer);
        this.#resolve = undefined;
        resolve(woken);
      };
    });
  }

  /** Unregisters. */
  dispose(): void {
    this.#resolve = undefined;
    this.#dispose();
  }
}
