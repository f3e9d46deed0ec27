import { columnStats } from '../../catalog/lookup.js';
import type { Catalog, Table } from '../../catalog/types.js';
import type { IndexCandidate } from './candidate.js';
import { type PlanNode, type PlanSummary, summarize } from './plan.js';

/**
 * An analytic cost model for GIN candidates where no real index can be built and HypoPG cannot simulate one
 * (HypoPG supports btree, brin, hash and bloom only). It replaces the sequential scan of the indexed table in the
 * plan HypoPG returned with a bitmap heap scan over a GIN bitmap index scan, using the planner's own cost
 * constants and its own row estimate for the filter:
 * - heap pages fetched by the Mackert–Lohman approximation, with the per-page cost interpolated between
 *   random_page_cost and seq_page_cost by the fraction of the table read, as `cost_bitmap_heap_scan` does;
 * - each fetched row pays cpu_tuple_cost plus the recheck of the filter, whose per-row cost is read back from
 *   the sequential scan's own cost (so an expensive `to_tsvector(...)` filter stays expensive per row);
 * - the GIN index part: per search entry one entry-tree descent and the posting pages of the matching rows.
 * It is an estimate: evidence marks these costs `costSource: 'model'`; `--verify` on a scratch server or the
 * embedded engine measures the real thing.
 */

/** Planner cost constants (pg_settings), with PostgreSQL's defaults. */
export interface CostSettings {
  seqPageCost: number;
  randomPageCost: number;
  cpuTupleCost: number;
  cpuIndexTupleCost: number;
  cpuOperatorCost: number;
}

/** PostgreSQL's default cost constants. */
export const DEFAULT_COST_SETTINGS: CostSettings = {
  seqPageCost: 1,
  randomPageCost: 4,
  cpuTupleCost: 0.01,
  cpuIndexTupleCost: 0.005,
  cpuOperatorCost: 0.0025,
};

const BLOCK = 8192;

/**
 * Estimated GIN size. Entries per row: trigrams ≈ characters + 2 per value; jsonb paths ≈ one per 12 bytes of
 * the stored document; tsvector lexemes ≈ one per 7 bytes of text. Posting-list items take ~2.5 bytes (GIN
 * compresses item pointers with varbyte deltas, PostgreSQL 9.4+), plus one entry-tree tuple per distinct key.
 * The factors were calibrated against real builds on the demo data (they agree within about 2x).
 */
export function estimateGinSizeBytes(candidate: IndexCandidate, table: Table, catalog: Catalog): number {
  const rows = Math.max(1, table.rowEstimate ?? 1);
  const key = candidate.keys[0];
  const column = key?.column ?? null;
  const stats = column ? columnStats(catalog, table, column) : undefined;
  const exprColumn = key?.expression?.match(/([a-z_][a-z0-9_]*)\s*\)\s*$/i)?.[1];
  const width = stats?.avgWidth ?? (exprColumn ? columnStats(catalog, table, exprColumn)?.avgWidth : undefined) ?? 32;
  let entriesPerRow: number;
  let distinctKeys: number;
  if (key?.opclass === 'gin_trgm_ops') {
    entriesPerRow = width + 2;
    distinctKeys = Math.min(rows * entriesPerRow, 50_000);
  } else if (key?.expression?.startsWith('to_tsvector')) {
    entriesPerRow = Math.max(1, width / 7);
    distinctKeys = Math.min(rows * entriesPerRow, 100_000);
  } else {
    entriesPerRow = Math.max(1, width / 12);
    distinctKeys = Math.min(rows * entriesPerRow, 100_000);
  }
  const bytes = rows * entriesPerRow * 2.5 + distinctKeys * 24;
  return Math.ceil(bytes / BLOCK + 2) * BLOCK;
}

/** Search entries the GIN scan looks up (trigrams of a pattern, lexemes of a query, paths of a document). */
function entriesFor(candidate: IndexCandidate): number {
  const key = candidate.keys[0];
  if (key?.opclass === 'gin_trgm_ops') return 6;
  if (key?.expression?.startsWith('to_tsvector')) return 1;
  return 2;
}

function findSeqScan(
  node: PlanNode,
  table: string,
  parent: PlanNode | null,
): { scan: PlanNode; replace: PlanNode } | null {
  if (
    (node['Node Type'] === 'Seq Scan' || node['Node Type'] === 'Parallel Seq Scan') &&
    node['Relation Name'] === table
  ) {
    // A parallel scan is replaced together with its Gather (costs of the parallel part are per worker).
    const replace =
      parent && (parent['Node Type'] === 'Gather' || parent['Node Type'] === 'Gather Merge') ? parent : node;
    return { scan: node, replace };
  }
  for (const c of node.Plans ?? []) {
    const found = findSeqScan(c, table, node);
    if (found) return found;
  }
  return null;
}

function cloneReplacing(node: PlanNode, target: PlanNode, replacement: PlanNode, delta: number): PlanNode {
  if (node === target) return replacement;
  const kids = node.Plans?.map((c) => cloneReplacing(c, target, replacement, delta));
  const contains = kids?.some((k, i) => k !== node.Plans![i]);
  if (!contains) return node;
  return { ...node, Plans: kids, 'Total Cost': node['Total Cost'] + delta } as PlanNode;
}

/**
 * The plan with the GIN candidate available: the seq scan on its table replaced by a modelled bitmap scan when
 * that is cheaper, else the plan unchanged. Under a LIMIT only the fraction of the heap scan needed is charged.
 */
export function applyGinModel(
  plan: PlanSummary,
  candidate: IndexCandidate,
  table: Table,
  indexName: string,
  sizeBytes: number,
  settings: CostSettings,
): PlanSummary {
  const found = findSeqScan(plan.root, candidate.table, null);
  if (!found) return plan;
  const { scan, replace } = found;
  const s = settings;
  const N = Math.max(1, table.rowEstimate ?? scan['Plan Rows']);
  const T = Math.max(1, table.pages);
  const parallel = replace !== scan;
  const sel = Math.max(1, parallel ? replace['Plan Rows'] : scan['Plan Rows']);
  // Per-row filter cost read back from the (non-parallel) seq scan: total = T·seq_page + N·(cpu_tuple + qual).
  const qual = parallel
    ? s.cpuOperatorCost
    : Math.max(s.cpuOperatorCost, (scan['Total Cost'] - T * s.seqPageCost - N * s.cpuTupleCost) / N);
  const pagesFetched = Math.min(T, (2 * T * sel) / (2 * T + sel));
  const perPage = s.randomPageCost - (s.randomPageCost - s.seqPageCost) * Math.sqrt(pagesFetched / T);
  const heapCost = pagesFetched * perPage + sel * (s.cpuTupleCost + qual);
  const entries = entriesFor(candidate);
  const indexPages = Math.max(1, sizeBytes / BLOCK);
  const postingPages = Math.min(indexPages, (sel * entries * 2.5) / BLOCK + entries);
  const indexCost =
    entries * s.randomPageCost * Math.max(1, Math.ceil(Math.log(indexPages) / Math.log(256)) + 1) +
    postingPages * s.randomPageCost +
    sel * entries * s.cpuOperatorCost;
  const newScanTotal = indexCost + heapCost;
  const oldScanTotal = replace['Total Cost'];
  const bitmap: PlanNode = {
    'Node Type': 'Bitmap Heap Scan',
    'Relation Name': candidate.table,
    Schema: candidate.schema,
    'Startup Cost': indexCost,
    'Total Cost': newScanTotal,
    'Plan Rows': sel,
    Plans: [
      {
        'Node Type': 'Bitmap Index Scan',
        'Index Name': indexName,
        'Startup Cost': indexCost,
        'Total Cost': indexCost,
        'Plan Rows': sel,
      },
    ],
  };
  let newRoot: PlanNode;
  const root = plan.root;
  if (root['Node Type'] === 'Limit' && root.Plans?.[0] === replace) {
    const fraction = Math.min(1, root['Plan Rows'] / sel);
    const total = indexCost + heapCost * fraction;
    newRoot = { ...root, 'Startup Cost': indexCost, 'Total Cost': total, Plans: [bitmap] };
  } else {
    newRoot = cloneReplacing(root, replace, bitmap, newScanTotal - oldScanTotal);
  }
  if (newRoot['Total Cost'] >= plan.totalCost) return plan;
  return summarize(newRoot);
}
