import { qualifiedName, quoteIdent } from '../../../engines/postgres/quote.js';
import { conditionColumns } from '../condition-columns.js';
import { nodeLabel, type PlanNode } from '../plan-node.js';
import { type PlanInsight, type PlanInsightRule, relationOf, round } from './insight.js';

/**
 * `plan-filter-waste`: a scan (or join) read many rows only to throw most of them away in a Filter. The rows
 * removed are work an index on the filtered columns would skip; the saving is the node's own time in proportion
 * to the rows discarded.
 */
export const filterWaste: PlanInsightRule<{ minRemovedRows: number; minRemovedShare: number }> = {
  id: 'plan-filter-waste',
  description: 'Rows removed by a filter: most of what the node read was discarded',
  defaults: { minRemovedRows: 1000, minRemovedShare: 0.5 },
  needsAnalyze: true,
  check({ plan, timing }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      if (!node.actual || !t) return;
      const byJoin = node.rowsRemovedByJoinFilter !== null && node.rowsRemovedByFilter === null;
      const perLoop = (byJoin ? node.rowsRemovedByJoinFilter : node.rowsRemovedByFilter) ?? 0;
      const removed = perLoop * node.actual.loops;
      const kept = t.totalRows;
      const share = removed / Math.max(1, removed + kept);
      if (removed < o.minRemovedRows || share < o.minRemovedShare) return;
      const condition = byJoin ? node.joinFilter : node.filter;
      const columns = conditionColumns(condition);
      const rel = node.relationName;
      const fix: PlanInsight['fix'] = { steps: [] };
      if (rel && columns.length > 0 && !byJoin) {
        const relSql = node.schema ? qualifiedName(node.schema, rel) : quoteIdent(rel);
        fix.sql = `-- candidate; \`dbsage advise\` proves it with hypothetical indexes first\nCREATE INDEX CONCURRENTLY ON ${relSql} (${columns.map(quoteIdent).join(', ')});`;
        fix.steps.push(
          `An index on ${rel} (${columns.join(', ')}) lets PostgreSQL read only the matching rows instead of discarding ${Math.round(share * 100)} % of what it reads.`,
        );
      } else {
        fix.steps.push(
          byJoin
            ? 'The join condition is checked row by row after the join: make it an equality the join can use (hash or merge join), or index the inner side on it.'
            : 'Most rows read are discarded: make the condition sargable (no function on the column) and index the filtered columns.',
        );
      }
      out.push({
        ruleId: 'plan-filter-waste',
        node,
        saving: (timing.unit === 'ms' ? t.exclusiveMillis : t.exclusiveCost) * share,
        title: `${nodeLabel(node)} discards ${Math.round(share * 100)} % of the rows it reads (${Math.round(removed).toLocaleString('en-US')} removed by ${byJoin ? 'join filter' : 'filter'})`,
        summary:
          'The node reads rows and throws most away after reading them; an index on the filtered columns reads only the rows that qualify.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          relation: rel ? relationOf(node) : null,
          condition,
          columns,
          rowsRemoved: Math.round(removed),
          rowsReturned: Math.round(kept),
          removedShare: round(share),
          loops: node.actual.loops,
        },
        fix,
      });
    };
    visit(plan.root);
    return out;
  },
};
