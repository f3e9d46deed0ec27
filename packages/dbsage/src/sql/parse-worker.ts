import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * libpg-query in a worker thread, for large inputs: the worker runs the WASM parser over chunks while the main
 * thread lints the chunks parsed before. In a fresh process the parser's WASM still runs on V8's baseline tier
 * and is the largest single cost of linting a big migration, so moving it to the other core takes it off the
 * critical path. The worker returns the parser's JSON text; the main thread parses the JSON (objects cannot be
 * handed over more cheaply than that).
 */

/** What the worker sends back for one text: the parse tree as JSON, or the parser's error. */
export type WorkerParse = { ok: true; json: string } | { ok: false; message: string };

/**
 * The worker's code (plain CommonJS, evaluated as a string so it runs the same from `dist` and from the
 * TypeScript sources under a test runner). It loads the Emscripten module of libpg-query and answers each
 * `{ id, text }` with `{ id, json }` or `{ id, error }`, in order.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ready = require(workerData.glue)();
parentPort.on('message', async ({ id, text }) => {
  let m;
  try {
    m = await ready;
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
    return;
  }
  const size = m.lengthBytesUTF8(text) + 1;
  const input = m._malloc(size);
  let result = 0;
  try {
    m.stringToUTF8(text, input, size);
    result = m._wasm_parse_query_raw(input);
    if (!result) {
      parentPort.postMessage({ id, error: 'parser out of memory' });
      return;
    }
    const tree = m.getValue(result, 'i32');
    const error = m.getValue(result + 8, 'i32');
    if (error || !tree) {
      const message = error ? m.getValue(error, 'i32') : 0;
      parentPort.postMessage({ id, error: message ? m.UTF8ToString(message) : 'no parse tree' });
      return;
    }
    parentPort.postMessage({ id, json: m.UTF8ToString(tree) });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error) });
  } finally {
    m._free(input);
    if (result) m._wasm_free_parse_result(result);
  }
});
`;

/** A worker thread running libpg-query; requests are answered in the order they were sent. */
export class ParseWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (r: WorkerParse) => void>();
  #next = 0;
  #failed: string | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref();
    worker.on('message', (m: { id: number; json?: string; error?: string }) => {
      const resolve = this.#pending.get(m.id);
      if (!resolve) return;
      this.#pending.delete(m.id);
      resolve(m.json !== undefined ? { ok: true, json: m.json } : { ok: false, message: m.error ?? 'parse failed' });
    });
    const fail = (message: string) => {
      this.#failed = message;
      for (const resolve of this.#pending.values()) resolve({ ok: false, message });
      this.#pending.clear();
    };
    worker.on('error', (error) => fail(`parse worker failed: ${error.message}`));
    worker.on('exit', () => fail('parse worker exited'));
  }

  /** Starts a worker, or returns undefined when worker threads are not available here. */
  static start(): ParseWorker | undefined {
    try {
      const glue = createRequire(import.meta.url).resolve('libpg-query/wasm/libpg-query.js');
      return new ParseWorker(new Worker(WORKER_SOURCE, { eval: true, workerData: { glue } }));
    } catch {
      return undefined;
    }
  }

  /** Parses `text` in the worker. Never rejects: a failure of the worker is reported as a failed parse. */
  parse(text: string): Promise<WorkerParse> {
    if (this.#failed !== undefined) return Promise.resolve({ ok: false, message: this.#failed });
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage({ id, text });
    });
  }

  /** Stops the worker (pending parses resolve as failed). */
  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
