import { nodeLabel, type PlanNode } from '../plan-node.js';
import { type PlanInsight, type PlanInsightRule, round } from './insight.js';

/**
 * `plan-lossy-bitmap`: the bitmap did not fit in work_mem and degraded to whole pages ("lossy"), so every row of
 * those pages was rechecked against the condition. The saving counted is the node's own time in proportion to
 * the lossy pages.
 */
export const lossyBitmap: PlanInsightRule<{ minLossyBlocks: number }> = {
  id: 'plan-lossy-bitmap',
  description: 'A bitmap heap scan went lossy (work_mem too small for the bitmap)',
  defaults: { minLossyBlocks: 1 },
  needsAnalyze: true,
  check({ plan, timing }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      const lossy = node.lossyHeapBlocks ?? 0;
      if (!t || lossy < o.minLossyBlocks) return;
      const exact = node.exactHeapBlocks ?? 0;
      const share = lossy / Math.max(1, lossy + exact);
      // An exact bitmap keeps one page-table entry per heap page (block number + one bit per possible tuple:
      // about 50 bytes on 8 kB pages); 64 bytes per page with hash-table slack, rounded up to a power of two.
      const mb = 2 ** Math.ceil(Math.log2(Math.max(4, ((exact + lossy) * 64) / (1024 * 1024))));
      out.push({
        ruleId: 'plan-lossy-bitmap',
        node,
        saving: t.exclusiveMillis * share,
        title: `${nodeLabel(node)}: ${lossy.toLocaleString('en-US')} lossy heap blocks (${Math.round(share * 100)} % of the bitmap), ${Math.round((node.rowsRemovedByIndexRecheck ?? 0) * (node.actual?.loops ?? 1)).toLocaleString('en-US')} rows rechecked away`,
        summary:
          'The bitmap exceeded work_mem and remembered whole pages instead of rows, so every row on those pages had to be rechecked.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          exactHeapBlocks: exact,
          lossyHeapBlocks: lossy,
          rowsRemovedByIndexRecheck: node.rowsRemovedByIndexRecheck,
          recheckCond: node.recheckCond,
          suggestedWorkMemMb: mb,
          exclusiveMillis: round(t.exclusiveMillis),
        },
        fix: {
          sql: `SET work_mem = '${mb}MB';  -- per session or role, not globally`,
          steps: [
            'Raise work_mem for this statement so the bitmap stays exact, or make the condition more selective (a multicolumn or partial index).',
          ],
        },
      });
    };
    visit(plan.root);
    return out;
  },
};
