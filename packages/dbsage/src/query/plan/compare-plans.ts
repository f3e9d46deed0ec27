import { type Plan, planNodes } from './plan-node.js';
import { computePlanTiming } from './plan-timing.js';

/** One difference between two plans. */
export interface PlanDifference {
  kind: 'node-types' | 'join-order' | 'index-choice' | 'scan-method' | 'cost' | 'time' | 'rows';
  message: string;
  before: unknown;
  after: unknown;
}

/** The comparison of plan A (before) with plan B (after). */
export interface PlanComparison {
  differences: PlanDifference[];
  /** Execution time ratio after ÷ before (analyzed plans), or null. */
  timeRatio: number | null;
  /** Root total cost ratio after ÷ before. */
  costRatio: number;
}

function relationsInJoinOrder(plan: Plan): string[] {
  // Leaves in pre-order are the join order the executor drives (outer before inner).
  return planNodes(plan)
    .filter((n) => n.relationName && n.children.length === 0)
    .map((n) => n.alias ?? n.relationName!);
}

function accessPaths(plan: Plan): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of planNodes(plan)) {
    const rel = n.alias ?? n.relationName;
    if (!rel || !/Scan/.test(n.nodeType) || n.nodeType === 'Bitmap Index Scan') continue;
    let path = n.nodeType;
    if (n.indexName) path += ` using ${n.indexName}`;
    if (n.nodeType === 'Bitmap Heap Scan') {
      const idx = planNodes({ ...plan, root: n }).find((c) => c.nodeType === 'Bitmap Index Scan');
      if (idx?.indexName) path += ` (bitmap of ${idx.indexName})`;
    }
    out.set(rel, path);
  }
  return out;
}

function countTypes(plan: Plan): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of planNodes(plan)) out.set(n.nodeType, (out.get(n.nodeType) ?? 0) + 1);
  return out;
}

/**
 * Compares two plans of the same statement (before and after an index, a setting, a rewrite): which node types
 * appeared or went away, whether the join order changed, which access path and index each table got, and the
 * change in cost and time.
 */
export function comparePlans(before: Plan, after: Plan): PlanComparison {
  const differences: PlanDifference[] = [];
  const ta = countTypes(before);
  const tb = countTypes(after);
  const added: string[] = [];
  const removed: string[] = [];
  for (const [t, n] of tb) if ((ta.get(t) ?? 0) < n) added.push(t);
  for (const [t, n] of ta) if ((tb.get(t) ?? 0) < n) removed.push(t);
  if (added.length || removed.length) {
    differences.push({
      kind: 'node-types',
      message: `node types: ${removed.length ? `−${removed.join(', −')}` : ''}${removed.length && added.length ? '; ' : ''}${added.length ? `+${added.join(', +')}` : ''}`,
      before: removed,
      after: added,
    });
  }
  const ja = relationsInJoinOrder(before);
  const jb = relationsInJoinOrder(after);
  if (ja.length > 1 && ja.join(',') !== jb.join(',')) {
    differences.push({
      kind: 'join-order',
      message: `join order: ${ja.join(' → ')}  ⇒  ${jb.join(' → ')}`,
      before: ja,
      after: jb,
    });
  }
  const pa = accessPaths(before);
  const pb = accessPaths(after);
  for (const rel of new Set([...pa.keys(), ...pb.keys()])) {
    const a = pa.get(rel) ?? '(not scanned)';
    const b = pb.get(rel) ?? '(not scanned)';
    if (a === b) continue;
    const idxA = /using (\S+)|bitmap of (\S+)\)/.exec(a);
    const idxB = /using (\S+)|bitmap of (\S+)\)/.exec(b);
    differences.push({
      kind: idxA || idxB ? 'index-choice' : 'scan-method',
      message: `${rel}: ${a}  ⇒  ${b}`,
      before: a,
      after: b,
    });
  }
  const costRatio = after.root.totalCost / Math.max(before.root.totalCost, 1e-9);
  differences.push({
    kind: 'cost',
    message: `estimated cost ${Math.round(before.root.totalCost)} ⇒ ${Math.round(after.root.totalCost)} (×${costRatio.toFixed(2)})`,
    before: before.root.totalCost,
    after: after.root.totalCost,
  });
  let timeRatio: number | null = null;
  if (before.analyzed && after.analyzed) {
    const a = before.executionTimeMillis ?? computePlanTiming(before).total;
    const b = after.executionTimeMillis ?? computePlanTiming(after).total;
    timeRatio = b / Math.max(a, 1e-9);
    differences.push({
      kind: 'time',
      message: `execution ${a.toFixed(2)} ms ⇒ ${b.toFixed(2)} ms (×${timeRatio.toFixed(2)})`,
      before: a,
      after: b,
    });
    const ra = before.root.actual?.rows ?? 0;
    const rb = after.root.actual?.rows ?? 0;
    if (ra !== rb)
      differences.push({
        kind: 'rows',
        message: `rows returned differ: ${ra} ⇒ ${rb} (not the same statement or data?)`,
        before: ra,
        after: rb,
      });
  }
  return { differences, timeRatio, costRatio };
}

/** A text rendering of a comparison (one difference per line). */
export function renderComparison(c: PlanComparison): string {
  return c.differences.map((d) => `${d.kind.padEnd(13)} ${d.message}`).join('\n');
}
