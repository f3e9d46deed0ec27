import { availableParallelism, loadavg } from 'node:os';
import { statementChunks, type TextRange } from '../sql/chunks.js';
import { ParseWorker, type WorkerParse } from '../sql/parse-worker.js';
import type { Preset } from './presets.js';

/**
 * Parsing ahead of the linter: for a large input, a worker thread parses the files in statement-aligned chunks
 * while the main thread loads the linter and then lints the chunks already parsed. This module is light on
 * purpose (no rules, no model), so the CLI can start the parse before it loads the rest.
 */

/** One file as it is sent to the parser: the linted text, its chunks and their pending parses. */
export interface ParsePlan {
  text: string;
  chunks: readonly TextRange[];
  parses: readonly Promise<WorkerParse>[];
}

/**
 * Inputs at least this large (in characters, all files together) are parsed in a worker thread. Below it a
 * worker costs more than it saves (starting it and loading the parser into it take tens of milliseconds).
 */
export const PARALLEL_PARSE_MIN_CHARS = 128 * 1024;
/** Chunk size (characters); the first chunk is smaller so that linting starts early. */
const CHUNK_CHARS = 48 * 1024;
const FIRST_CHUNK_CHARS = 12 * 1024;

/** True when the machine has a CPU to spare: more than one, and a 1-minute load average at least 1 below the count. */
function idleCpuLikely(): boolean {
  const cpus = availableParallelism();
  return cpus >= 2 && loadavg()[0]! <= cpus - 1;
}

/** The part of a file that is linted: a preset's down-migration section is cut off. */
export function lintedText(text: string, preset: Preset): string {
  const m = preset.downMarker?.exec(text);
  return m ? text.slice(0, m.index) : text;
}

/** Files being parsed in a worker; close it when the lint is done. */
export class ParseAhead {
  readonly #worker: ParseWorker;
  readonly #plans = new Map<string, ParsePlan>();

  constructor(worker: ParseWorker) {
    this.#worker = worker;
  }

  /** Sends a text to the worker, chunk by chunk (the worker answers in order). */
  plan(text: string): ParsePlan {
    let plan = this.#plans.get(text);
    if (!plan) {
      const chunks = statementChunks(text, CHUNK_CHARS, FIRST_CHUNK_CHARS);
      const parses = chunks.map((c) => this.#worker.parse(text.slice(c.start, c.end)));
      plan = { text, chunks, parses };
      this.#plans.set(text, plan);
    }
    return plan;
  }

  /** Stops the worker. */
  close(): Promise<void> {
    return this.#worker.close();
  }
}

/**
 * Starts parsing `sources` (the texts as given to the linter) in a worker when they are large enough to gain
 * from it and a CPU is likely idle to run it on; returns undefined otherwise, or when worker threads are
 * unavailable. `DBSAGE_PARSE_WORKER=0` turns the worker off (`=1` forces it on, for measurements).
 *
 * Why the idle check: the worker takes about 130 ms of parsing off the main thread of a 10,000-statement run
 * but adds about 100-300 ms of CPU (a second isolate, the parser loaded twice, the JSON copied across). With a
 * core to spare that is a gain; on a 2-core machine at a load average of 10 the same run measured 5.6 s with
 * the worker and 4.3 s without, because every extra thread waits for a time slice.
 */
export function startParse(sources: readonly { text: string }[], preset: Preset): ParseAhead | undefined {
  const setting = process.env.DBSAGE_PARSE_WORKER;
  if (setting === '0') return undefined;
  if (setting !== '1') {
    let chars = 0;
    for (const s of sources) chars += s.text.length;
    if (chars < PARALLEL_PARSE_MIN_CHARS || !idleCpuLikely()) return undefined;
  }
  const worker = ParseWorker.start();
  if (!worker) return undefined;
  const ahead = new ParseAhead(worker);
  for (const s of sources) ahead.plan(lintedText(s.text, preset));
  return ahead;
}
