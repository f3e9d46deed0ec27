import type { Capabilities } from '../engines/postgres/capabilities.js';
import type { PgClient } from '../engines/postgres/client.js';
import type { Category, Finding } from './finding.js';

/**
 * What an analyzer is given. Everything expensive is lazy and memoised, so an analyzer asks only for what it
 * needs and the catalog is read once per run however many analyzers use it.
 */
export interface AnalyzerContext {
  /** The live database, when there is one. */
  readonly client?: PgClient;
  readonly capabilities?: Capabilities;
  /** The catalog, read once on first use. */
  catalog(): Promise<import('../catalog/types.js').Catalog>;
  /** The workload (pg_stat_statements, a file or a log), read once on first use; empty when none. */
  workload(): Promise<import('../workload/types.js').Workload>;
  /** Options for this analyzer, by analyzer id (validated by the analyzer itself). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly signal?: AbortSignal;
  /** Progress and debug messages (stderr, TTY only). */
  log(message: string): void;
}

/** What an analyzer needs before it can run. */
export type AnalyzerNeed = 'client' | 'catalog' | 'workload' | 'pg_stat_statements';

/** An analyzer: a doctor check, a lint rule set, an advisor. Found by `discoverAnalyzers()` (one module per capability in `src/analyzers/`). */
export interface Analyzer {
  /** Stable kebab-case id. */
  readonly id: string;
  readonly category: Category;
  /** One line for `--help` and reports. */
  readonly description: string;
  readonly needs: readonly AnalyzerNeed[];
  /** Per-analyzer time limit, ms; the run reports "unknown" past it. Default 30 000. */
  readonly timeoutMillis?: number;
  run(ctx: AnalyzerContext): Promise<Finding[]>;
}

/** How one analyzer ended. A failure is reported as "unknown" with its reason and never fails the run. */
export interface AnalyzerOutcome {
  analyzerId: string;
  status: 'ok' | 'unknown' | 'skipped';
  reason?: string;
  findings: Finding[];
  durationMillis: number;
  /**
   * Set when this outcome was not produced by this run but kept from an earlier run of a monitoring session (the
   * check was not due yet): the ISO time of that run.
   */
  reusedFrom?: string;
}

/** Checks what an analyzer needs against what the context has; returns the reason it cannot run. */
export function missingNeed(analyzer: Analyzer, ctx: AnalyzerContext): string | undefined {
  for (const need of analyzer.needs) {
    if ((need === 'client' || need === 'catalog') && !ctx.client) return 'needs a database connection';
    if (need === 'pg_stat_statements' && !ctx.capabilities?.hasPgStatStatements) {
      return 'pg_stat_statements is not available: add it to shared_preload_libraries, restart, and CREATE EXTENSION pg_stat_statements';
    }
  }
  return undefined;
}

/**
 * Runs analyzers one after another (they share one connection pool and must stay light on a production
 * server), each under its own time limit. Never throws.
 */
export async function runAnalyzers(analyzers: readonly Analyzer[], ctx: AnalyzerContext): Promise<AnalyzerOutcome[]> {
  const outcomes: AnalyzerOutcome[] = [];
  for (const analyzer of analyzers) {
    const started = performance.now();
    const missing = missingNeed(analyzer, ctx);
    if (missing) {
      outcomes.push({ analyzerId: analyzer.id, status: 'skipped', reason: missing, findings: [], durationMillis: 0 });
      continue;
    }
    const limit = analyzer.timeoutMillis ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const findings = await Promise.race([
        analyzer.run(ctx),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${limit} ms`)), limit);
        }),
      ]);
      outcomes.push({ analyzerId: analyzer.id, status: 'ok', findings, durationMillis: performance.now() - started });
    } catch (error) {
      outcomes.push({
        analyzerId: analyzer.id,
        status: 'unknown',
        reason: error instanceof Error ? error.message : String(error),
        findings: [],
        durationMillis: performance.now() - started,
      });
    } finally {
      clearTimeout(timer);
    }
  }
  return outcomes;
}
