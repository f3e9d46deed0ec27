import { sortFindings } from '../findings/finding.js';
import type { AnalyzerOutcome } from '../findings/registry.js';
import { type DoctorCheck, WATCH_REFRESH_SECONDS } from './check.js';
import type { DoctorRunInput, DoctorRunResult } from './runner.js';
import { runDoctor, selectChecks, validateOptions } from './runner.js';
import type { Snapshot } from './snapshot.js';
import { CatalogCache } from './state.js';

/** What stays the same for every run of a session: {@link DoctorRunInput} without the per-run parts. */
export type DoctorSessionInput = Omit<
  DoctorRunInput,
  'since' | 'takeSnapshot' | 'signal' | 'catalogCache' | 'isDue'
> & {
  /**
   * Run every selected check on every run (`dbsage doctor --watch-every-check`). Default false: each check runs at
   * its own cadence ({@link WatchRefresh}), and a run reports the last outcome of the checks that were not due.
   */
  everyCheckEveryRun?: boolean;
  /** The clock the cadence reads, in ms (default `Date.now`; tests pass their own). */
  clock?: () => number;
};

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
  /** Check executions over all runs (a check not due in a run is not counted). */
  checkRuns: number;
}

/**
 * A resident doctor for periodic monitoring (`dbsage doctor --watch`, or a service calling `run()` on a timer).
 * It validates the check selection and options once and keeps what derives from the catalog alone (index shapes,
 * sets of identical indexes, left-prefix pairs, unindexed foreign keys, tables without a primary key) between
 * runs. Each run first reads a cheap catalog version (row counts and an xmin hash of pg_class, pg_index,
 * pg_constraint and pg_namespace); any committed DDL changes it and the next run reads everything again, so a
 * cache never hides a new finding. Statistics, sizes, activity and settings are read whenever their check runs. On
 * a catalog of 5,000 tables and 15,000 indexes a repeated run costs a fraction of a cold one.
 *
 * Each check also has a cadence ({@link WatchRefresh}): activity checks run every time, per-table counters at most
 * every 60 s, estimates and settings every 5 min, catalog checks whenever the catalog changed (else every 5 min).
 * A check that is not due contributes the outcome of its last run, marked `reusedFrom`; one that failed or timed
 * out runs again next time. `everyCheckEveryRun` turns the cadence off; so does a change of the `since` snapshot.
 * Runs are serialised: a `run()` called while another is in progress starts when it ends. The session does not own
 * the client: close it yourself.
 */
export class DoctorSession {
  readonly #input: DoctorSessionInput;
  readonly #cache = new CatalogCache();
  readonly #checks: readonly DoctorCheck[];
  /** The last outcome of each check, with the time its run started. */
  readonly #last = new Map<string, { outcome: AnalyzerOutcome; startedAt: number }>();
  #lastSince: Snapshot | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #runs = 0;
  #checkRuns = 0;

  constructor(input: DoctorSessionInput) {
    // A typo in a check id or option is a usage error at start, not at the first tick.
    this.#checks = selectChecks(input.only, input.skip);
    validateOptions(input.options);
    this.#input = input;
  }

  /**
   * Runs the selected checks that are due (all of them on the first run, or with `everyCheckEveryRun`) and reports
   * the last outcome of the others; catalog-derived values are reused while the catalog is unchanged.
   */
  run(perRun: DoctorSessionRunInput = {}): Promise<DoctorRunResult> {
    const next = this.#queue.then(() => this.#run(perRun));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #run(perRun: DoctorSessionRunInput): Promise<DoctorRunResult> {
    this.#runs++;
    const { everyCheckEveryRun, clock, ...input } = this.#input;
    const startedAt = (clock ?? Date.now)();
    // Outcomes kept from another window would mix windows: a new `since` runs everything.
    const all = everyCheckEveryRun === true || perRun.since !== this.#lastSince;
    this.#lastSince = perRun.since;
    const isDue = (check: DoctorCheck, catalogChanged: boolean): boolean => {
      const last = this.#last.get(check.id);
      if (all || last === undefined || last.outcome.status !== 'ok') return true;
      if (check.watchRefresh === 'catalog' && catalogChanged) return true;
      return startedAt - last.startedAt >= WATCH_REFRESH_SECONDS[check.watchRefresh] * 1000;
    };
    const result = await runDoctor({ ...input, ...perRun, catalogCache: this.#cache, isDue });
    this.#checkRuns += result.outcomes.length;
    const ran = new Map(result.outcomes.map((o) => [o.analyzerId, o]));
    for (const o of result.outcomes) this.#last.set(o.analyzerId, { outcome: o, startedAt });
    const outcomes = this.#checks.flatMap((c): AnalyzerOutcome[] => {
      const fresh = ran.get(c.id);
      if (fresh) return [fresh];
      const last = this.#last.get(c.id);
      return last ? [{ ...last.outcome, reusedFrom: new Date(last.startedAt).toISOString() }] : [];
    });
    const reused = outcomes.length - result.outcomes.length;
    const notes =
      reused > 0
        ? [
            ...result.notes,
            `Watch cadence: ${result.outcomes.length} of ${outcomes.length} checks ran in this run; the other ${reused} report their last run (per-table counters refresh every ${WATCH_REFRESH_SECONDS.counters} s, estimates and settings every ${WATCH_REFRESH_SECONDS.estimates / 60} min, catalog checks when the catalog changes). --watch-every-check runs all of them every time.`,
          ]
        : result.notes;
    return { ...result, outcomes, findings: sortFindings(outcomes.flatMap((o) => o.findings)), notes };
  }

  /** How many runs, how many of them read the catalog again, and how many check executions they made. */
  get stats(): DoctorSessionStats {
    return { runs: this.#runs, catalogReads: this.#cache.reloads, checkRuns: this.#checkRuns };
  }
}

/** Starts a {@link DoctorSession} on a client (see there). */
export function createDoctor(input: DoctorSessionInput): DoctorSession {
  return new DoctorSession(input);
}
