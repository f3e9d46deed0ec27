/**
 * Benchmark child process. Talks to the parent over IPC:
 *  - stampede: N concurrent getOrSet on one cold key once the parent says go; reports loader calls;
 *  - watch: reports the wall-clock time at which a new value becomes visible to this process.
 */
import { performance } from 'node:perf_hooks';
import { type LibName, openCache, sleep } from './libs.js';

const [lib, portText, namespace, mode] = process.argv.slice(2) as [LibName, string, string, string];
const port = Number(portText);
if (!Number.isInteger(port) || port === 6379) process.exit(2);
const cache = await openCache(lib, { port, namespace, l1: true });
const send = (m: unknown): void => {
  process.send?.(m);
};
const now = (): number => performance.timeOrigin + performance.now();

type Msg = { type: string; key: string; concurrency?: number; expect?: unknown; at?: number; loaderMillis?: number };
process.on('message', async (msg: Msg) => {
  if (msg.type === 'go' && mode === 'stampede') {
    // start barrier: sleep until just before the shared start time, then spin to it
    const at = msg.at ?? Date.now();
    if (at - Date.now() > 20) await sleep(at - Date.now() - 20);
    while (Date.now() < at) {
      // spin
    }
    const startedAt = performance.timeOrigin + performance.now();
    let loaderCalls = 0;
    let firstLoaderAt: number | null = null;
    const results = await Promise.allSettled(
      Array.from({ length: msg.concurrency ?? 1000 }, () =>
        cache.getOrSet(
          msg.key,
          async () => {
            loaderCalls++;
            firstLoaderAt ??= performance.timeOrigin + performance.now();
            await sleep(msg.loaderMillis ?? 300);
            return { value: 'loaded' };
          },
          60_000,
        ),
      ),
    );
    send({
      type: 'done',
      loaderCalls,
      failures: results.filter((r) => r.status === 'rejected').length,
      startedAt,
      firstLoaderAt,
    });
  } else if (msg.type === 'prime') {
    await cache.get(msg.key);
    await cache.get(msg.key);
    send({ type: 'primed', value: await cache.get(msg.key) });
  } else if (msg.type === 'watch') {
    send({ type: 'watching' });
    for (;;) {
      const v = await cache.get(msg.key);
      if (v === msg.expect) break;
      await new Promise((r) => setImmediate(r));
    }
    send({ type: 'seen', at: now() });
  } else if (msg.type === 'exit') {
    await cache.close();
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0)); // parent gone: never outlive the benchmark
send({ type: 'ready' });
