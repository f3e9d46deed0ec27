import type { Catalog } from '../../catalog/types.js';
import type { NPlusOneLink } from './link.js';
import { resolveLink } from './resolve-link.js';

/** Cumulative statistics of one statement shape (pg_stat_statements, a log, a replay). */
export interface StatementStat {
  fingerprint: string;
  query: string;
  calls: number;
  rows: number;
  totalMillis: number;
}

/** Thresholds of the statistics-based pairing, with documented defaults. */
export interface StatementPairingOptions {
  /** A child is considered from this many calls. Default 20. */
  minChildCalls?: number;
  /** |child calls ÷ parent rows − 1| at most this. Default 0.5 (±50 %). */
  tolerance?: number;
  /**
   * A loop repeats the child several times per parent execution: child calls ÷ parent calls at least this.
   * Default 5, the same repeat count as the runtime rule (after Sentry's N+1 detector); it keeps two unrelated
   * statements whose counts merely line up (a search, then one detail query per search) from being paired.
   */
  minCallsPerParentCall?: number;
}

/** A child statement paired with the parent whose rows it is called for. */
export interface StatementNPlusOne {
  parent: StatementStat;
  child: StatementStat;
  link: NPlusOneLink;
  /** child calls ÷ parent rows. */
  ratio: number;
}

/**
 * Finds N+1 pairs in cumulative statement statistics, where there is no request to group by: a child statement
 * is paired with a parent when the child filters on a foreign key to the parent's table (or is the key the
 * parent's rows reference) and its calls are about the parent's total rows (±50 %): one call per parent row.
 */
export function detectFromStatements(
  stats: readonly StatementStat[],
  catalog: Catalog | undefined,
  options: StatementPairingOptions = {},
): StatementNPlusOne[] {
  const minCalls = options.minChildCalls ?? 20;
  const tolerance = options.tolerance ?? 0.5;
  const perParentCall = options.minCallsPerParentCall ?? 5;
  const out: StatementNPlusOne[] = [];
  for (const child of stats) {
    if (child.calls < minCalls || !/^\s*select\b/i.test(child.query)) continue;
    let best: StatementNPlusOne | null = null;
    for (const parent of stats) {
      if (parent === child || parent.fingerprint === child.fingerprint || parent.rows <= 0) continue;
      if (child.calls < perParentCall * parent.calls) continue;
      const ratio = child.calls / parent.rows;
      if (Math.abs(ratio - 1) > tolerance) continue;
      const link = resolveLink(parent.query, child.query, catalog ? { catalog } : {});
      if (!link) continue;
      if (!best || Math.abs(ratio - 1) < Math.abs(best.ratio - 1)) best = { parent, child, link, ratio };
    }
    if (best) out.push(best);
  }
  return out;
}
