import type { Workload, WorkloadSource, WorkloadStatement } from './types.js';

/**
 * Per-fingerprint accumulation shared by every workload source. Sources add calls as they read (a log is never
 * held in memory); the result is one {@link WorkloadStatement} per statement shape.
 */

/** How many skipped-line samples a workload keeps: enough to see what went wrong, bounded for huge inputs. */
export const MAX_SKIPPED_SAMPLES = 5;
/** Longest sample kept (characters): a garbage line can be megabytes long. */
export const MAX_SAMPLE_CHARS = 200;

/**
 * A copy of a string that does not share memory with the text it was cut from. V8 represents `slice()` results
 * as views into the parent string, so keeping a 200-byte example cut from a 1 MB chunk of a log would keep the
 * whole chunk alive; anything kept beyond a chunk (examples, samples, events) goes through this.
 */
export function detach(s: string): string {
  // A JSON round trip copies every code unit, lone surrogates included.
  return s.length === 0 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/** One call (or several, for `.sql` weights and pg_stat_statements rows) of a statement shape. */
export interface WorkloadCall {
  fingerprint: string;
  /** Normalized text, used when the fingerprint is new. */
  query: string;
  /** The statement as executed, kept as the example when the fingerprint is new. */
  example?: string | null;
  exampleParams?: (string | null)[] | null;
  calls: number;
  /** Execution time of these calls; null when unknown (it counts as 0 but is not "measured"). */
  timeMillis: number | null;
  rows?: number;
  queryId?: string | null;
  location?: { file: string; line: number; column: number } | null;
}

interface Accumulator {
  fingerprint: string;
  query: string;
  example: string | null;
  exampleParams: (string | null)[] | null;
  calls: number;
  totalTimeMillis: number;
  rows: number;
  queryId: string | null;
  /** Calls behind `queryId`: the id of the biggest contributor wins when several map to one fingerprint. */
  queryIdCalls: number;
  location: { file: string; line: number; column: number } | null;
}

/** Accumulates calls per fingerprint, plus what was skipped or excluded. */
export class WorkloadAggregator {
  readonly #byFingerprint = new Map<string, Accumulator>();
  #skipped = 0;
  readonly #samples: string[] = [];
  #excluded = 0;
  /** Lines, entries or rows read from the source (the source decides its unit). */
  read = 0;

  /** Adds calls to a fingerprint. */
  add(call: WorkloadCall): void {
    let acc = this.#byFingerprint.get(call.fingerprint);
    if (!acc) {
      acc = {
        fingerprint: call.fingerprint,
        query: call.query,
        example: call.example == null ? null : detach(call.example),
        exampleParams: call.exampleParams?.map((p) => (p === null ? null : detach(p))) ?? null,
        calls: 0,
        totalTimeMillis: 0,
        rows: 0,
        queryId: null,
        queryIdCalls: -1,
        location: call.location ?? null,
      };
      this.#byFingerprint.set(call.fingerprint, acc);
    }
    acc.calls += call.calls;
    if (call.timeMillis !== null) acc.totalTimeMillis += call.timeMillis;
    acc.rows += call.rows ?? 0;
    if (call.queryId && call.calls > acc.queryIdCalls) {
      acc.queryId = call.queryId;
      acc.queryIdCalls = call.calls;
    }
  }

  /** True when the fingerprint has been seen (sources skip building an example for it then). */
  has(fingerprint: string): boolean {
    return this.#byFingerprint.has(fingerprint);
  }

  /** Adds time to calls already counted (a `duration:` line logged after its `statement:` line). */
  addTime(fingerprint: string, timeMillis: number): void {
    const acc = this.#byFingerprint.get(fingerprint);
    if (acc) acc.totalTimeMillis += timeMillis;
  }

  /** Counts a line/entry/statement that could not be read, keeping the first few as samples. */
  skip(sample: string): void {
    this.#skipped++;
    if (this.#samples.length < MAX_SKIPPED_SAMPLES) {
      this.#samples.push(detach(sample.length > MAX_SAMPLE_CHARS ? `${sample.slice(0, MAX_SAMPLE_CHARS)}…` : sample));
    }
  }

  /** Counts a statement left out on purpose (see {@link Workload.excluded}). */
  exclude(count = 1): void {
    this.#excluded += count;
  }

  /** Number of statement shapes so far. */
  get size(): number {
    return this.#byFingerprint.size;
  }

  /**
   * The workload, heaviest first: by total time, then calls, then fingerprint, so the order is stable across
   * runs.
   */
  toWorkload(source: WorkloadSource): Workload {
    const statements: WorkloadStatement[] = [];
    for (const a of this.#byFingerprint.values()) {
      statements.push({
        fingerprint: a.fingerprint,
        query: a.query,
        example: a.example,
        exampleParams: a.exampleParams,
        calls: a.calls,
        totalTimeMillis: a.totalTimeMillis,
        meanTimeMillis: a.calls > 0 ? a.totalTimeMillis / a.calls : 0,
        rows: a.rows,
        queryId: a.queryId,
        location: a.location,
      });
    }
    statements.sort(
      (x, y) =>
        y.totalTimeMillis - x.totalTimeMillis ||
        y.calls - x.calls ||
        (x.fingerprint < y.fingerprint ? -1 : x.fingerprint > y.fingerprint ? 1 : 0),
    );
    return {
      source,
      statements,
      skipped: { count: this.#skipped, samples: [...this.#samples] },
      read: this.read,
      excluded: this.#excluded,
    };
  }
}
