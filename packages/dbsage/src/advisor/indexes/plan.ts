/**
 * The parts of an `EXPLAIN (FORMAT JSON)` plan the advisor reasons about: total cost, and every scan with its
 * relation and index, so a finding can say which plan node changed ("Seq Scan on users" → "Index Scan using
 * users_lower_email_idx on users").
 */

/** One scan node of a plan. */
export interface ScanNode {
  /** `Seq Scan`, `Index Scan`, `Index Only Scan`, `Bitmap Heap Scan`, `Bitmap Index Scan`, … */
  nodeType: string;
  relation: string | null;
  schema: string | null;
  index: string | null;
}

/** A plan reduced to what the advisor needs. */
export interface PlanSummary {
  totalCost: number;
  startupCost: number;
  rows: number;
  scans: ScanNode[];
  /** Sort nodes (an ordered index scan removes them). */
  sorts: number;
  /** The raw root node (kept for the GIN cost model). */
  root: PlanNode;
}

/** A node of EXPLAIN's JSON output (the fields read here). */
export interface PlanNode {
  'Node Type': string;
  'Total Cost': number;
  'Startup Cost': number;
  'Plan Rows': number;
  'Relation Name'?: string;
  Schema?: string;
  'Index Name'?: string;
  'Parent Relationship'?: string;
  Plans?: PlanNode[];
  [key: string]: unknown;
}

/** Reads EXPLAIN (FORMAT JSON)'s single row (`QUERY PLAN` holds `[{ Plan: … }]`, as text or parsed). */
export function parseExplain(rows: readonly Record<string, unknown>[]): PlanSummary {
  const cell = rows[0]?.['QUERY PLAN'];
  const doc = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan: PlanNode }[];
  const root = doc[0]!.Plan;
  return summarize(root);
}

/** Summarizes a plan tree. */
export function summarize(root: PlanNode): PlanSummary {
  const scans: ScanNode[] = [];
  let sorts = 0;
  const walk = (n: PlanNode) => {
    if (n['Node Type'].includes('Scan') && (n['Relation Name'] !== undefined || n['Index Name'] !== undefined)) {
      scans.push({
        nodeType: n['Node Type'],
        relation: n['Relation Name'] ?? null,
        schema: n.Schema ?? null,
        index: n['Index Name'] ?? null,
      });
    }
    if (n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort') sorts++;
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(root);
  return {
    totalCost: root['Total Cost'],
    startupCost: root['Startup Cost'],
    rows: root['Plan Rows'],
    scans,
    sorts,
    root,
  };
}

/** Index names a plan uses. */
export function indexesUsed(plan: PlanSummary): string[] {
  return [...new Set(plan.scans.map((s) => s.index).filter((i): i is string => i !== null))];
}

/**
 * A one-line description of how a plan reads one table: `Seq Scan on users`, `Bitmap Heap Scan on posts via
 * Bitmap Index Scan using posts_body_fts_idx`. Bitmap index scans carry no relation, so they are matched to the
 * heap scan through the given index-name → table map.
 */
export function describeAccess(
  plan: PlanSummary,
  table: string,
  indexTable: (index: string) => string | undefined,
): string {
  const parts: string[] = [];
  for (const s of plan.scans) {
    const onTable = s.relation === table || (s.relation === null && s.index !== null && indexTable(s.index) === table);
    if (!onTable) continue;
    parts.push(
      s.index
        ? `${s.nodeType} using ${s.index}${s.relation ? ` on ${s.relation}` : ''}`
        : `${s.nodeType} on ${s.relation}`,
    );
  }
  return parts.length ? [...new Set(parts)].join(' + ') : `no scan on ${table}`;
}
