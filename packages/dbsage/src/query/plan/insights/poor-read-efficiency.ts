import { nodeLabel, type PlanNode } from '../plan-node.js';
import { ownBlocks, type PlanInsight, type PlanInsightRule, relationOf, round } from './insight.js';

/** Scan node types whose buffers are their own reads. */
const SCANS = new Set(['Index Scan', 'Index Only Scan', 'Bitmap Heap Scan', 'Seq Scan']);

/**
 * `plan-poor-read-efficiency`: a scan read many 8 kB pages for the few bytes of rows it returned — typical of an
 * index scan whose rows are scattered over the table (one page per row), or of a bloated table. Efficiency is
 * bytes returned (rows × width) over bytes read (pages × 8 kB); the saving counted is half the node's own time
 * times the wasted share. Scans already flagged for filter waste are left to that rule.
 */
export const poorReadEfficiency: PlanInsightRule<{ minBlocks: number; maxEfficiency: number }> = {
  id: 'plan-poor-read-efficiency',
  description: 'Many pages read for few rows returned (scattered rows or bloat)',
  defaults: { minBlocks: 1000, maxEfficiency: 0.02 },
  needsAnalyze: true,
  check({ plan, timing }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      if (!t || !node.actual || !SCANS.has(node.nodeType)) return;
      const blocks = ownBlocks(node);
      if (!blocks || blocks.shared < o.minBlocks) return;
      const removed = (node.rowsRemovedByFilter ?? 0) * node.actual.loops;
      if (removed >= t.totalRows) return;
      const efficiency = (t.totalRows * Math.max(1, node.planWidth)) / (blocks.shared * 8192);
      if (efficiency > o.maxEfficiency) return;
      const cacheMissShare = blocks.read / Math.max(1, blocks.shared);
      out.push({
        ruleId: 'plan-poor-read-efficiency',
        node,
        saving: t.exclusiveMillis * (1 - efficiency) * 0.5,
        title: `${nodeLabel(node)} read ${blocks.shared.toLocaleString('en-US')} pages for ${Math.round(t.totalRows).toLocaleString('en-US')} rows (${round(efficiency * 100, 2)} % of the bytes read were returned)`,
        summary:
          'Each returned row cost about a page read: the rows are scattered across the table (or the table is bloated), so the scan pays for pages it barely uses.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          relation: relationOf(node),
          blocks: blocks.shared,
          blocksFromDisk: blocks.read,
          cacheMissShare: round(cacheMissShare),
          rows: Math.round(t.totalRows),
          rowWidth: node.planWidth,
          efficiency: round(efficiency, 4),
        },
        fix: {
          steps: [
            node.nodeType === 'Index Scan'
              ? `Add the selected columns to the index (INCLUDE) so an index-only scan avoids the table, or CLUSTER ${relationOf(node)} on this index if this access path dominates.`
              : `Check ${relationOf(node)} for bloat (pgstattuple) and VACUUM FULL / pg_repack it, or make the access path selective enough to read fewer pages.`,
          ],
        },
      });
    };
    visit(plan.root);
    return out;
  },
};
