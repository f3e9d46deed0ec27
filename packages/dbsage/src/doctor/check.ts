import { UsageError } from '../errors.js';
import type { Category, Finding } from '../findings/finding.js';
import type { Analyzer, AnalyzerContext, AnalyzerNeed } from '../findings/registry.js';
import type { TableNeed } from './sources.js';

/**
 * A doctor check is an {@link Analyzer} with a declared option schema (thresholds with documented defaults) and
 * a declared list of privileges it is limited without. Declaring both up front lets the runner validate
 * `--option` flags before anything runs, lets `--help`/docs list every threshold, and lets the report say which
 * checks were limited and which grant enables them, without a check having to repeat that logic.
 */

/** A numeric threshold option. */
export interface NumberOptionSpec {
  readonly type: 'number';
  readonly default: number;
  readonly description: string;
  readonly min?: number;
}

/** A string option with a closed set of values. */
export interface ChoiceOptionSpec {
  readonly type: 'choice';
  readonly default: string;
  readonly choices: readonly string[];
  readonly description: string;
}

/** A boolean option. */
export interface BooleanOptionSpec {
  readonly type: 'boolean';
  readonly default: boolean;
  readonly description: string;
}

/** One option of a check. */
export type OptionSpec = NumberOptionSpec | ChoiceOptionSpec | BooleanOptionSpec;

/** The option schema of a check, by option name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The resolved option values of a schema. */
export type ResolvedOptions<S extends OptionSpecs> = {
  readonly [K in keyof S]: S[K] extends NumberOptionSpec ? number : S[K] extends BooleanOptionSpec ? boolean : string;
};

/** Privileges whose absence limits what a check can see. */
export const LIMITING_PRIVILEGES = ['read_all_stats', 'stat_scan_tables', 'superuser'] as const;
export type LimitingPrivilege = (typeof LIMITING_PRIVILEGES)[number];

/** What a check loses without a privilege, and the grant that restores it. */
export interface Limitation {
  readonly without: LimitingPrivilege;
  /** What the check cannot see, in a few words ("other users' query text"). */
  readonly effect: string;
}

/**
 * How often a monitoring session (`createDoctor`, `dbsage doctor --watch`) runs a check again; a one-off run
 * always runs every check. Intervals in {@link WATCH_REFRESH_SECONDS}.
 *
 * - `every-run`: what is happening now (activity, locks, replication, pg_stat_statements, database counters).
 * - `counters`: per-table and per-index counters summed over the lifetime of the statistics (hit rates, scans,
 *   dead tuples, vacuum ages, sequence values, XID ages): they move slowly on a catalog of thousands of relations
 *   and are the expensive reads.
 * - `estimates`: planner statistics, sizes and settings, which change only on VACUUM, ANALYZE or a reload.
 * - `catalog`: derived from the catalog (indexes, constraints): run again as soon as the catalog version changes
 *   (a created or dropped index shows at the next run), else at the `estimates` interval for their sizes.
 */
export type WatchRefresh = 'every-run' | 'counters' | 'estimates' | 'catalog';

/**
 * Minimum seconds between two runs of a check in a monitoring session, by {@link WatchRefresh}. The cadence follows
 * the usual practice of monitoring tools that sample activity every few seconds and per-table statistics every
 * minute or more (pgwatch's preset intervals: activity 5–60 s, table and index statistics 300 s or more, bloat
 * estimates hours).
 */
export const WATCH_REFRESH_SECONDS: Readonly<Record<WatchRefresh, number>> = Object.freeze({
  'every-run': 0,
  counters: 60,
  estimates: 300,
  catalog: 300,
});

/** A doctor check: an analyzer plus its option schema and limitations. */
export interface DoctorCheck extends Analyzer {
  readonly options: OptionSpecs;
  /** How often a monitoring session runs it again (see {@link WatchRefresh}). */
  readonly watchRefresh: WatchRefresh;
  readonly limitations: readonly Limitation[];
  /** Reads and validates this check's options from the context (defaults filled in). */
  resolveOptions(raw: unknown): Record<string, number | string | boolean>;
  /** Which tables the check may report, from its raw options (for checks that read `candidateTables`). */
  tableNeed?(raw: unknown): TableNeed;
}

/** Definition of a check, as written in `checks/<id>.ts`. */
export interface CheckDefinition<S extends OptionSpecs> {
  id: string;
  category: Category;
  description: string;
  needs?: readonly AnalyzerNeed[];
  /** Per-check time limit, ms (default 10 000). */
  timeoutMillis?: number;
  options: S;
  limitations?: readonly Limitation[];
  /** How often a monitoring session runs it again (default `every-run`; see {@link WatchRefresh}). */
  watchRefresh?: WatchRefresh;
  /**
   * The floors below which the check reports no table (it reads `candidateTables`), so a run reads only the
   * tables some selected check can report.
   */
  tableNeed?: (options: ResolvedOptions<S>) => TableNeed;
  run(ctx: AnalyzerContext, options: ResolvedOptions<S>): Promise<Finding[]>;
}

/** Default per-check time limit (ms): one slow check must not hold the run back. */
export const DEFAULT_CHECK_TIMEOUT_MILLIS = 10_000;

/** Validates raw options against a schema and fills defaults. Throws a UsageError naming the bad option. */
export function resolveOptions<S extends OptionSpecs>(checkId: string, specs: S, raw: unknown): ResolvedOptions<S> {
  const out: Record<string, number | string | boolean> = {};
  const given = raw === undefined || raw === null ? {} : raw;
  if (typeof given !== 'object' || Array.isArray(given)) {
    throw new UsageError(`options of check ${checkId} must be an object`);
  }
  for (const key of Object.keys(given)) {
    if (!(key in specs)) {
      throw new UsageError(
        `check ${checkId} has no option "${key}" (it has: ${Object.keys(specs).join(', ') || 'none'})`,
      );
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const value = (given as Record<string, unknown>)[name];
    if (value === undefined) {
      out[name] = spec.default;
      continue;
    }
    out[name] = coerceOption(checkId, name, spec, value);
  }
  return out as ResolvedOptions<S>;
}

/** Converts a raw value (JSON value or `--option` string) to the option's type. */
function coerceOption(checkId: string, name: string, spec: OptionSpec, value: unknown): number | string | boolean {
  const where = `option ${checkId}.${name}`;
  switch (spec.type) {
    case 'number': {
      const n = typeof value === 'number' ? value : typeof value === 'string' ? parseNumberWithUnit(value) : Number.NaN;
      if (!Number.isFinite(n)) throw new UsageError(`${where} takes a number, got ${JSON.stringify(value)}`);
      if (spec.min !== undefined && n < spec.min) throw new UsageError(`${where} must be at least ${spec.min}`);
      return n;
    }
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'on' || value === '1') return true;
      if (value === 'false' || value === 'off' || value === '0') return false;
      throw new UsageError(`${where} takes true or false, got ${JSON.stringify(value)}`);
    }
    case 'choice': {
      if (typeof value === 'string' && spec.choices.includes(value)) return value;
      throw new UsageError(`${where} takes one of ${spec.choices.join(', ')}, got ${JSON.stringify(value)}`);
    }
  }
}

const UNIT_FACTORS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  tb: 1024 ** 4,
};

/**
 * Parses `100`, `1.5`, `64MB`, `2GB`. Byte units only: durations are always plain numbers in the unit the option
 * name says (`minSeconds`), so `5s` is rejected rather than silently read in the wrong unit.
 */
export function parseNumberWithUnit(text: string): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return Number.NaN;
  const unit = m[2]!.toLowerCase();
  const factor = UNIT_FACTORS[unit];
  return factor === undefined ? Number.NaN : Number(m[1]) * factor;
}

/** Builds a {@link DoctorCheck} from its definition. */
export function defineCheck<S extends OptionSpecs>(definition: CheckDefinition<S>): DoctorCheck {
  const { id, options } = definition;
  return Object.freeze({
    id,
    category: definition.category,
    description: definition.description,
    needs: definition.needs ?? (['client'] as const),
    timeoutMillis: definition.timeoutMillis ?? DEFAULT_CHECK_TIMEOUT_MILLIS,
    options,
    limitations: definition.limitations ?? [],
    watchRefresh: definition.watchRefresh ?? 'every-run',
    resolveOptions: (raw: unknown) => resolveOptions(id, options, raw) as Record<string, number | string | boolean>,
    ...(definition.tableNeed
      ? { tableNeed: (raw: unknown) => definition.tableNeed!(resolveOptions(id, options, raw)) }
      : {}),
    run: (ctx: AnalyzerContext) => definition.run(ctx, resolveOptions(id, options, ctx.options[id])),
  });
}
