/**
 * A workload statement as the benchmark costs it: one SQL text with its representative parameters (or none) and
 * its weight in calls.
 */
export interface BenchStatement {
  id: string;
  sql: string;
  /** Representative parameter values in `$n` order; empty when the text has constants only. */
  params: readonly (string | null)[];
  calls: number;
}

/** EXPLAIN's JSON plan node (the fields read here). */
export interface PlanNode {
  'Node Type': string;
  'Total Cost': number;
  'Index Name'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/** Index names anywhere in a plan (including InitPlans and SubPlans, which are children here). */
export function planIndexNames(node: PlanNode): string[] {
  const out = new Set<string>();
  const walk = (n: PlanNode) => {
    if (typeof n['Index Name'] === 'string') out.add(n['Index Name']);
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(node);
  return [...out];
}

/** Reads the root plan out of `EXPLAIN (FORMAT JSON)` rows. */
export function rootPlan(rows: readonly Record<string, unknown>[]): PlanNode {
  const cell = rows[0]?.['QUERY PLAN'];
  const doc = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan: PlanNode }[];
  return doc[0]!.Plan;
}

/** The statement text without a trailing semicolon. */
export function stripSemicolon(sql: string): string {
  return sql.replace(/[\s;]+$/u, '');
}
