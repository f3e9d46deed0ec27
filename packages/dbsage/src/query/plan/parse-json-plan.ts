import { InputError } from '../../errors.js';
import type { Plan, PlanBuffers, PlanNode } from './plan-node.js';

type Raw = Record<string, unknown>;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function buffers(raw: Raw): PlanBuffers | null {
  if (!('Shared Hit Blocks' in raw) && !('Temp Written Blocks' in raw)) return null;
  const b = (k: string) => num(raw[k]) ?? 0;
  return {
    sharedHit: b('Shared Hit Blocks'),
    sharedRead: b('Shared Read Blocks'),
    sharedDirtied: b('Shared Dirtied Blocks'),
    sharedWritten: b('Shared Written Blocks'),
    localHit: b('Local Hit Blocks'),
    localRead: b('Local Read Blocks'),
    tempRead: b('Temp Read Blocks'),
    tempWritten: b('Temp Written Blocks'),
  };
}

function node(raw: Raw, counter: { next: number }, analyzed: boolean): PlanNode {
  const id = counter.next++;
  const loops = num(raw['Actual Loops']);
  const neverExecuted = analyzed && loops === 0;
  const actual =
    loops !== null && loops > 0
      ? {
          startupTimeMillis: num(raw['Actual Startup Time']) ?? 0,
          totalTimeMillis: num(raw['Actual Total Time']) ?? 0,
          rows: num(raw['Actual Rows']) ?? 0,
          loops,
        }
      : null;
  // Workers report their own sort/hash figures; the node-level ones are the leader's. Take the worst.
  let sortSpaceUsed = num(raw['Sort Space Used']);
  let sortSpaceType = text(raw['Sort Space Type']);
  let sortMethod = text(raw['Sort Method']);
  for (const w of Array.isArray(raw.Workers) ? (raw.Workers as Raw[]) : []) {
    const used = num(w['Sort Space Used']);
    if (used !== null && (sortSpaceUsed === null || used > sortSpaceUsed || w['Sort Space Type'] === 'Disk')) {
      if (sortSpaceType !== 'Disk' || w['Sort Space Type'] === 'Disk') {
        sortSpaceUsed = used;
        sortSpaceType = text(w['Sort Space Type']) ?? sortSpaceType;
        sortMethod = text(w['Sort Method']) ?? sortMethod;
      }
    }
  }
  const children = Array.isArray(raw.Plans) ? (raw.Plans as Raw[]).map((c) => node(c, counter, analyzed)) : [];
  const sortKey = Array.isArray(raw['Sort Key']) ? (raw['Sort Key'] as unknown[]).map(String) : null;
  return {
    id,
    nodeType: text(raw['Node Type']) ?? '?',
    parentRelationship: text(raw['Parent Relationship']),
    subplanName: text(raw['Subplan Name']),
    relationName: text(raw['Relation Name']) ?? text(raw['CTE Name']) ?? text(raw['Function Name']),
    schema: text(raw.Schema),
    alias: text(raw.Alias),
    indexName: text(raw['Index Name']),
    joinType: text(raw['Join Type']),
    strategy: text(raw.Strategy),
    startupCost: num(raw['Startup Cost']) ?? 0,
    totalCost: num(raw['Total Cost']) ?? 0,
    planRows: num(raw['Plan Rows']) ?? 0,
    planWidth: num(raw['Plan Width']) ?? 0,
    actual,
    neverExecuted,
    workersPlanned: num(raw['Workers Planned']),
    workersLaunched: num(raw['Workers Launched']),
    parallelAware: raw['Parallel Aware'] === true,
    filter: text(raw.Filter),
    rowsRemovedByFilter: num(raw['Rows Removed by Filter']),
    joinFilter: text(raw['Join Filter']),
    rowsRemovedByJoinFilter: num(raw['Rows Removed by Join Filter']),
    indexCond: text(raw['Index Cond']),
    recheckCond: text(raw['Recheck Cond']),
    rowsRemovedByIndexRecheck: num(raw['Rows Removed by Index Recheck']),
    hashCond: text(raw['Hash Cond']),
    mergeCond: text(raw['Merge Cond']),
    sortKey,
    sortMethod,
    sortSpaceUsed,
    sortSpaceType,
    hashBuckets: num(raw['Hash Buckets']),
    hashBatches: num(raw['Hash Batches']),
    originalHashBatches: num(raw['Original Hash Batches']),
    peakMemoryUsage: num(raw['Peak Memory Usage']),
    exactHeapBlocks: num(raw['Exact Heap Blocks']),
    lossyHeapBlocks: num(raw['Lossy Heap Blocks']),
    heapFetches: num(raw['Heap Fetches']),
    buffers: buffers(raw),
    ioReadTimeMillis: num(raw['I/O Read Time']),
    children,
  };
}

/**
 * Parses EXPLAIN (FORMAT JSON) output: the array PostgreSQL returns, its first element, or the JSON text of
 * either. Throws {@link InputError} when the value is not a plan.
 */
export function parseJsonPlan(input: unknown): Plan {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new InputError('the plan is not valid JSON', { cause: error });
    }
  }
  if (Array.isArray(value)) value = value[0];
  // A `{"QUERY PLAN": [...]}` row as some clients save it.
  if (value && typeof value === 'object' && 'QUERY PLAN' in value) return parseJsonPlan((value as Raw)['QUERY PLAN']);
  if (!value || typeof value !== 'object' || !('Plan' in value)) {
    throw new InputError('not an EXPLAIN (FORMAT JSON) plan: expected an object with a "Plan" key');
  }
  const top = value as Raw;
  const rootRaw = top.Plan as Raw;
  const analyzed = 'Execution Time' in top || 'Actual Loops' in rootRaw;
  const triggers = Array.isArray(top.Triggers) ? (top.Triggers as Raw[]) : [];
  const jit = top.JIT as Raw | undefined;
  const jitTiming = jit?.Timing as Raw | undefined;
  const settings: Record<string, string> = {};
  if (top.Settings && typeof top.Settings === 'object')
    for (const [k, v] of Object.entries(top.Settings as Raw)) settings[k] = String(v);
  return {
    root: node(rootRaw, { next: 0 }, analyzed),
    analyzed,
    planningTimeMillis: num(top['Planning Time']),
    executionTimeMillis: num(top['Execution Time']),
    triggerTimeMillis: triggers.reduce((s, t) => s + (num(t.Time) ?? 0), 0),
    settings,
    jitMillis: num(jitTiming?.Total),
  };
}
