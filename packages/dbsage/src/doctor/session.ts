import type { DoctorRunInput, DoctorRunResult } from './runner.js';
import { runDoctor, selectChecks, validateOptions } from './runner.js';
import type { Snapshot } from './snapshot.js';
import { CatalogCache } from './state.js';

/** What stays the same for every run of a session: {@link DoctorRunInput} without the per-run parts. */
export type DoctorSessionInput = Omit<DoctorRunInput, 'since' | 'takeSnapshot' | 'signal' | 'catalogCache'>;

/** What may change from one run of a session to the next. */
export interface DoctorSessionRunInput {
  /** A `--snapshot` file's content: counter-based checks then report the window since it. */
  since?: Snapshot;
  /** Also read a snapshot of the counters at the end of the run. */
  takeSnapshot?: boolean;
  signal?: AbortSignal;
}

/** Counters of a session, for logs and benchmarks. */
export interface DoctorSessionStats {
  runs: number;
  /** Runs that found the catalog changed (the first run counts) and read the catalog-derived values again. */
  catalogReads: number;
}

/**
 * A resident doctor for periodic monitoring (`dbsage doctor --watch`, or a service calling `run()` on a timer).
 * It validates the check selection and options once and keeps what derives from the catalog alone (index shapes,
 * sets of identical indexes, left-prefix pairs, unindexed foreign keys, tables without a primary key) between
 * runs. Each run first reads a cheap catalog version (row counts and an xmin hash of pg_class, pg_index,
 * pg_constraint and pg_namespace); any committed DDL changes it and the next run reads everything again, so a
 * cache never hides a new finding. Statistics, sizes, activity and settings are read on every run. On a catalog of
 * 5,000 tables and 15,000 indexes a repeated run costs a fraction of a cold one. Runs are serialised: a `run()`
 * called while another is in progress starts when it ends. The session does not own the client: close it yourself.
 */
export class DoctorSession {
  readonly #input: DoctorSessionInput;
  readonly #cache = new CatalogCache();
  #queue: Promise<unknown> = Promise.resolve();
  #runs = 0;

  constructor(input: DoctorSessionInput) {
    // A typo in a check id or option is a usage error at start, not at the first tick.
    selectChecks(input.only, input.skip);
    validateOptions(input.options);
    this.#input = input;
  }

  /** Runs every selected check once; catalog-derived values are reused while the catalog is unchanged. */
  run(perRun: DoctorSessionRunInput = {}): Promise<DoctorRunResult> {
    const next = this.#queue.then(() => {
      this.#runs++;
      return runDoctor({ ...this.#input, ...perRun, catalogCache: this.#cache });
    });
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** How many runs, and how many of them read the catalog again. */
  get stats(): DoctorSessionStats {
    return { runs: this.#runs, catalogReads: this.#cache.reloads };
  }
}

/** Starts a {@link DoctorSession} on a client (see there). */
export function createDoctor(input: DoctorSessionInput): DoctorSession {
  return new DoctorSession(input);
}
