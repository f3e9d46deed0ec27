let counter = 0;

/** A namespace unique to one test, so tests share a server without sharing keys. */
export function uniqueNamespace(label: string): string {
  return `t${process.pid}-${++counter}-${label}`;
}

/** Waits until `check` is true (polls every 10 ms), failing after `timeoutMillis`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMillis = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A promise with its resolve function, to hold a loader open. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
