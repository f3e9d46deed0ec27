import { nodeLabel, type PlanNode } from '../plan-node.js';
import { ownBlocks, type PlanInsight, type PlanInsightRule, relationOf, round } from './insight.js';

/**
 * `plan-large-seq-scan`: a sequential scan read a large table and is a noticeable share of the statement. When
 * most rows are discarded `plan-filter-waste` says so; this rule covers the scans that read a lot regardless
 * (reporting, missing LIMIT, a join that could be driven by an index). The saving counted is half its own time.
 */
export const largeSeqScan: PlanInsightRule<{ minRows: number; minShare: number }> = {
  id: 'plan-large-seq-scan',
  description: 'A sequential scan over many rows that is a large share of the statement',
  defaults: { minRows: 100_000, minShare: 0.1 },
  needsAnalyze: false,
  check({ plan, timing }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      if (!t || node.nodeType !== 'Seq Scan') return;
      const loops = node.actual?.loops ?? 1;
      const scanned = node.actual ? t.totalRows + (node.rowsRemovedByFilter ?? 0) * loops : node.planRows; // plain EXPLAIN: the estimate of rows returned is all we have
      const own = timing.unit === 'ms' ? t.exclusiveMillis : t.exclusiveCost;
      const share = own / timing.total;
      if (scanned < o.minRows || share < o.minShare) return;
      const removedShare = node.actual ? ((node.rowsRemovedByFilter ?? 0) * loops) / Math.max(1, scanned) : 0;
      // Mostly discarded rows are plan-filter-waste's finding, with a better fix.
      if (removedShare >= 0.5) return;
      const blocks = ownBlocks(node);
      out.push({
        ruleId: 'plan-large-seq-scan',
        node,
        saving: own * 0.5,
        title: `${nodeLabel(node)} reads ${Math.round(scanned).toLocaleString('en-US')} rows (${Math.round(share * 100)} % of the statement)`,
        summary:
          'A full scan of a large table on every execution; fine for reports, costly on a hot path where a LIMIT, a narrower filter or an index-driven join would read less.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          relation: relationOf(node),
          rowsScanned: Math.round(scanned),
          rowsReturned: Math.round(node.actual ? t.totalRows : node.planRows),
          blocks: blocks?.shared ?? null,
          share: round(share),
          unit: timing.unit,
        },
        fix: {
          steps: [
            'If this runs often, read less: add the missing LIMIT or filter, keep a summary table, or index the column the query really selects on.',
          ],
        },
      });
    };
    visit(plan.root);
    return out;
  },
};
