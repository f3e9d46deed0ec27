import type { PgClient } from '../../engines/postgres/client.js';
import { parseRaw } from '../../sql/parser.js';
import { explainStatement } from '../explain/run-explain.js';

/** The outcome of checking a rewrite on the target. */
export interface RewriteCheck {
  parses: boolean;
  /** Planned by the target (EXPLAIN in a read-only transaction); null when there was no target. */
  plans: boolean | null;
  estimatedCost: number | null;
  /** Parser or planner message when it failed. */
  error: string | null;
}

/**
 * Checks a generated rewrite: it must parse, and the target must plan it (plain EXPLAIN, or the generic plan
 * when it has placeholders) inside a read-only transaction. Nothing is executed.
 */
export async function verifyRewrite(client: PgClient | undefined, sql: string): Promise<RewriteCheck> {
  const parsed = parseRaw(sql);
  if (!parsed.ok) return { parses: false, plans: null, estimatedCost: null, error: parsed.failure.message };
  if (!client) return { parses: true, plans: null, estimatedCost: null, error: null };
  try {
    const r = await explainStatement(client, sql);
    return { parses: true, plans: true, estimatedCost: r.plan.root.totalCost, error: null };
  } catch (error) {
    return {
      parses: true,
      plans: false,
      estimatedCost: null,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
