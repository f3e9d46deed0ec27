import type { Queryable } from '../../engines/postgres/client.js';
import type { IndexCandidate } from './candidate.js';
import { type PlanSummary, parseExplain } from './plan.js';
import type { AdvisorStatement } from './statements.js';

/**
 * What-if costing behind one interface. Two engines implement it:
 * - `hypopg`: hypothetical indexes in one pinned server session (nothing is written; reset afterwards). HypoPG
 *   cannot simulate GIN, so GIN candidates are costed with an analytic model and say so in their evidence.
 * - `real-index`: real indexes built inside one transaction that is always rolled back (embedded PGlite, or a
 *   scratch server with `--scratch`). Candidates are built once; the planner is shown a configuration by
 *   flipping `pg_index.indisvalid` inside that transaction, so each what-if call is one EXPLAIN.
 */

/** The engines. */
export const WHAT_IF_ENGINES = ['hypopg', 'real-index'] as const;
export type WhatIfEngineKind = (typeof WHAT_IF_ENGINES)[number];

/** How a number was obtained, for the evidence. */
export const COST_SOURCES = ['hypopg', 'real-index', 'model'] as const;
export type CostSource = (typeof COST_SOURCES)[number];

/** Planner costing modes: representative constants (custom plan) or the generic plan. */
export type PlanMode = 'representative' | 'generic';

/** What an engine knows about one registered candidate. */
export interface CandidateInfo {
  /** Index size in bytes (built, HypoPG's estimate, or the model's). */
  sizeBytes: number;
  sizeSource: 'built' | 'hypopg' | 'model';
  costSource: CostSource;
  /** Why the candidate could not be created (bad opclass, missing extension), or null. */
  error: string | null;
}

/** A what-if session: candidates registered once, then any subset costed per statement. */
export interface WhatIfSession {
  readonly engine: WhatIfEngineKind;
  /** Creates (or models) the candidates once. */
  register(candidates: readonly IndexCandidate[], onProgress?: (done: number, total: number) => void): Promise<void>;
  info(candidateId: string): CandidateInfo | undefined;
  /**
   * EXPLAINs a statement with exactly `enabled` (plus the existing indexes) available. Throws
   * {@link NoRepresentativeParams} in representative mode when the statement has no parameter values.
   */
  explain(statement: AdvisorStatement, enabled: readonly IndexCandidate[], mode: PlanMode): Promise<PlanSummary>;
  /** The candidate behind an index name seen in a plan. */
  candidateForIndex(indexName: string): string | undefined;
  /** EXPLAIN calls made so far. */
  readonly explainCalls: number;
  /** A plain read-only query on the engine's session (catalog look-ups during the run). */
  query: Queryable['query'];
}

/** Raised when a statement has parameters and no representative values for them. */
export class NoRepresentativeParams extends Error {
  constructor() {
    super('no representative parameter values');
    this.name = 'NoRepresentativeParams';
  }
}

function stripSemicolon(sql: string): string {
  return sql.replace(/[\s;]+$/u, '');
}

let prepared = 0;

/**
 * EXPLAINs one statement. Representative mode binds the parameter values (a custom plan). Generic mode uses
 * `EXPLAIN (GENERIC_PLAN)` on PostgreSQL 16+ and `PREPARE` + `plan_cache_mode = force_generic_plan` before
 * (PostgreSQL 15), executing the prepared statement with NULLs, which a forced generic plan never looks at.
 */
export async function explainStatement(
  db: Queryable,
  statement: AdvisorStatement,
  mode: PlanMode,
  serverVersionNum: number,
  inTransaction: boolean,
): Promise<PlanSummary> {
  const sql = stripSemicolon(statement.sql);
  if (mode === 'representative' || statement.paramCount === 0) {
    if (statement.paramCount > 0 && statement.params === null) throw new NoRepresentativeParams();
    const rows = await db.query(
      `EXPLAIN (FORMAT JSON) ${sql}`,
      statement.paramCount > 0 ? (statement.params as unknown[]) : undefined,
    );
    return parseExplain(rows.rows);
  }
  if (serverVersionNum >= 160000) {
    return parseExplain((await db.query(`EXPLAIN (GENERIC_PLAN, FORMAT JSON) ${sql}`)).rows);
  }
  const name = `dbsage_generic_${++prepared}`;
  const set = inTransaction ? 'SET LOCAL' : 'SET';
  await db.query(`${set} plan_cache_mode = force_generic_plan`);
  try {
    await db.query(`PREPARE ${name} AS ${sql}`);
    try {
      const nulls = new Array(statement.paramCount).fill('NULL').join(', ');
      return parseExplain((await db.query(`EXPLAIN (FORMAT JSON) EXECUTE ${name}(${nulls})`)).rows);
    } finally {
      await db.query(`DEALLOCATE ${name}`).catch(() => undefined);
    }
  } finally {
    await db.query(inTransaction ? 'SET LOCAL plan_cache_mode = auto' : 'RESET plan_cache_mode').catch(() => undefined);
  }
}
