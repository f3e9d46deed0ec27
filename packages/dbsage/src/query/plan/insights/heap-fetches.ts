import { qualifiedName, quoteIdent } from '../../../engines/postgres/quote.js';
import { nodeLabel, type PlanNode } from '../plan-node.js';
import { type PlanInsight, type PlanInsightRule, round } from './insight.js';

/**
 * `plan-heap-fetches`: an index-only scan still visited the table for many rows because their pages are not
 * marked all-visible in the visibility map (VACUUM sets it). The saving counted is the node's own time in
 * proportion to the rows that needed a heap visit.
 */
export const heapFetches: PlanInsightRule<{ minFetches: number; minFetchShare: number }> = {
  id: 'plan-heap-fetches',
  description: 'An index-only scan fetched many rows from the heap (visibility map not set)',
  defaults: { minFetches: 100, minFetchShare: 0.1 },
  needsAnalyze: true,
  check({ plan, timing }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      if (!t || !node.actual || node.nodeType !== 'Index Only Scan' || node.heapFetches === null) return;
      // Heap Fetches is a total over all loops (unlike rows), see ExplainNode's show_instrumentation_count callers.
      const fetches = node.heapFetches;
      const share = fetches / Math.max(1, t.totalRows);
      if (fetches < o.minFetches || share < o.minFetchShare) return;
      const rel = node.relationName;
      const relSql = rel ? (node.schema ? qualifiedName(node.schema, rel) : quoteIdent(rel)) : 'the table';
      out.push({
        ruleId: 'plan-heap-fetches',
        node,
        saving: t.exclusiveMillis * Math.min(1, share) * 0.5,
        title: `${nodeLabel(node)}: ${fetches.toLocaleString('en-US')} heap fetches for ${Math.round(t.totalRows).toLocaleString('en-US')} rows (index-only in name only)`,
        summary:
          'An index-only scan must still visit the table for rows on pages not marked all-visible; VACUUM marks them, so the scan reads the index alone.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          relation: rel,
          heapFetches: fetches,
          rows: t.totalRows,
          fetchShare: round(Math.min(1, share)),
        },
        fix: {
          sql: `VACUUM (ANALYZE) ${relSql};`,
          steps: [
            `VACUUM ${rel ?? 'the table'} to set the visibility map; if it keeps falling behind, lower autovacuum_vacuum_scale_factor (or set autovacuum_vacuum_insert_scale_factor for insert-mostly tables) on it.`,
          ],
        },
      });
    };
    visit(plan.root);
    return out;
  },
};
