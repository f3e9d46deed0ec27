/**
 * The plan model every plan insight, the tree renderer and `--compare` read. EXPLAIN's JSON and text formats are
 * both parsed into it once, so no insight ever looks at raw EXPLAIN keys or cares where a plan came from.
 */

/** Buffer counters of a node (8 kB blocks), inclusive of its children as EXPLAIN reports them. */
export interface PlanBuffers {
  sharedHit: number;
  sharedRead: number;
  sharedDirtied: number;
  sharedWritten: number;
  localHit: number;
  localRead: number;
  tempRead: number;
  tempWritten: number;
}

/** What EXPLAIN ANALYZE measured for a node (per loop, as PostgreSQL reports it). */
export interface PlanActuals {
  startupTimeMillis: number;
  /** Average time per loop, inclusive of children. */
  totalTimeMillis: number;
  /** Average rows per loop. */
  rows: number;
  loops: number;
}

/** One plan node. Field names follow EXPLAIN's, camelCased; numbers are already numbers. */
export interface PlanNode {
  /** Pre-order position in the tree (0 = root): a stable handle for messages and comparisons. */
  id: number;
  nodeType: string;
  /** Outer, Inner, Member, InitPlan, SubPlan. */
  parentRelationship: string | null;
  /** `InitPlan 1 (returns $0)`, `SubPlan 2`, `CTE x`. */
  subplanName: string | null;
  relationName: string | null;
  schema: string | null;
  alias: string | null;
  indexName: string | null;
  /** Inner, Left, Semi, Anti, … for joins. */
  joinType: string | null;
  /** Aggregate strategy: Plain, Sorted, Hashed, Mixed. */
  strategy: string | null;
  startupCost: number;
  totalCost: number;
  /** Estimated rows per loop. */
  planRows: number;
  planWidth: number;
  /** Measured figures; null for plain EXPLAIN, or a node that never ran ("never executed"). */
  actual: PlanActuals | null;
  /** True when the plan was analyzed but this node never ran. */
  neverExecuted: boolean;
  workersPlanned: number | null;
  workersLaunched: number | null;
  /** Inside a Gather / Gather Merge: `actual` figures are averages over the processes. */
  parallelAware: boolean;
  filter: string | null;
  rowsRemovedByFilter: number | null;
  joinFilter: string | null;
  rowsRemovedByJoinFilter: number | null;
  indexCond: string | null;
  recheckCond: string | null;
  rowsRemovedByIndexRecheck: number | null;
  hashCond: string | null;
  mergeCond: string | null;
  sortKey: string[] | null;
  sortMethod: string | null;
  /** kB. */
  sortSpaceUsed: number | null;
  /** Memory or Disk. */
  sortSpaceType: string | null;
  hashBuckets: number | null;
  hashBatches: number | null;
  originalHashBatches: number | null;
  /** kB. */
  peakMemoryUsage: number | null;
  exactHeapBlocks: number | null;
  lossyHeapBlocks: number | null;
  heapFetches: number | null;
  buffers: PlanBuffers | null;
  /** I/O read time in ms (track_io_timing), when reported. */
  ioReadTimeMillis: number | null;
  children: PlanNode[];
}

/** A whole plan: the tree and the statement-level figures. */
export interface Plan {
  root: PlanNode;
  /** EXPLAIN ANALYZE figures are present. */
  analyzed: boolean;
  planningTimeMillis: number | null;
  executionTimeMillis: number | null;
  /** Time spent in triggers (ANALYZE of a write), ms. */
  triggerTimeMillis: number;
  /** Non-default planner settings listed by EXPLAIN (SETTINGS). */
  settings: Record<string, string>;
  /** JIT total time, ms, when JIT ran. */
  jitMillis: number | null;
}

/** Visits every node, parents before children. */
export function walkPlan(
  node: PlanNode,
  visit: (node: PlanNode, parent: PlanNode | null, depth: number) => void,
): void {
  const go = (n: PlanNode, parent: PlanNode | null, depth: number): void => {
    visit(n, parent, depth);
    for (const c of n.children) go(c, n, depth + 1);
  };
  go(node, null, 0);
}

/** All nodes of a plan in pre-order. */
export function planNodes(plan: Plan): PlanNode[] {
  const out: PlanNode[] = [];
  walkPlan(plan.root, (n) => out.push(n));
  return out;
}

/** A short label for a node: `Seq Scan on orders o`, `Index Scan using orders_pkey on orders`. */
export function nodeLabel(node: PlanNode): string {
  let label = node.nodeType;
  if (node.strategy && node.nodeType === 'Aggregate' && node.strategy !== 'Plain') label = `${node.strategy}Aggregate`;
  if (node.joinType && node.joinType !== 'Inner' && /Join|Nested Loop/.test(node.nodeType))
    label = `${node.nodeType} (${node.joinType})`;
  if (node.indexName) label += ` using ${node.indexName}`;
  if (node.relationName) {
    label += ` on ${node.schema && node.schema !== 'public' ? `${node.schema}.` : ''}${node.relationName}`;
    if (node.alias && node.alias !== node.relationName) label += ` ${node.alias}`;
  }
  if (node.subplanName) label = `${node.subplanName}: ${label}`;
  return label;
}
