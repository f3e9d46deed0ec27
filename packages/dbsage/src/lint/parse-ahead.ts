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
 * from it; returns undefined otherwise, or when worker threads are unavailable.
 */
export function startParse(sources: readonly { text: string }[], preset: Preset): ParseAhead | undefined {
  let chars = 0;
  for (const s of sources) chars += s.text.length;
  if (chars < PARALLEL_PARSE_MIN_CHARS) return undefined;
  const worker = ParseWorker.start();
  if (!worker) return undefined;
  const ahead = new ParseAhead(worker);
  for (const s of sources) ahead.plan(lintedText(s.text, preset));
  return ahead;
}
