import { qualifiedName, quoteIdent } from '../../../engines/postgres/quote.js';
import { conditionColumns } from '../condition-columns.js';
import { nodeLabel, type PlanNode } from '../plan-node.js';
import { type PlanInsight, type PlanInsightRule, relationOf, round } from './insight.js';

/** True when a node may legitimately stop early (under a LIMIT, the inner side of a semi/anti join, a merge). */
function stopsEarly(node: PlanNode, parentOf: ReadonlyMap<number, PlanNode | null>): boolean {
  let child = node;
  for (let p = parentOf.get(node.id) ?? null; p; child = p, p = parentOf.get(p.id) ?? null) {
    if (p.nodeType === 'Limit') return true;
    if (p.nodeType === 'Merge Join') return true;
    if ((p.joinType === 'Semi' || p.joinType === 'Anti') && p.children[1] === child) return true;
  }
  return false;
}

/**
 * `plan-row-misestimate`: the planner expected far more or far fewer rows than the node produced. Every decision
 * above the node (join method, join order, memory) was made on the wrong number, so the saving counted is the
 * parent's own time. The fix names the statistics that are missing: extended statistics when the condition
 * combines several columns of one table (correlated columns are estimated as independent), else a larger
 * per-column statistics target.
 */
export const rowMisestimate: PlanInsightRule<{ minFactor: number; minRows: number }> = {
  id: 'plan-row-misestimate',
  description: 'Estimated and actual rows differ by a large factor',
  defaults: { minFactor: 10, minRows: 100 },
  needsAnalyze: true,
  check({ plan, timing, parentOf }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      if (!node.actual || !t) return;
      const actual = node.actual.rows;
      const planned = node.planRows;
      const factor = Math.max(actual, 1) / Math.max(planned, 1);
      const magnitude = Math.max(factor, 1 / factor);
      if (magnitude < o.minFactor) return;
      if (Math.max(t.totalRows, t.totalPlanRows) < o.minRows) return;
      if (factor < 1 && stopsEarly(node, parentOf)) return;
      // Inherited: a child is already off by as much in the same direction (a Gather or Sort above a bad scan).
      const inherited = node.children.some((c) => {
        if (!c.actual || c.parentRelationship === 'InitPlan' || c.parentRelationship === 'SubPlan') return false;
        const cf = Math.max(c.actual.rows, 1) / Math.max(c.planRows, 1);
        return cf >= 1 === factor >= 1 && Math.max(cf, 1 / cf) * 2 >= magnitude;
      });
      if (inherited) return;
      const parent = parentOf.get(node.id) ?? null;
      const saving = parent ? (timing.byId.get(parent.id)?.exclusiveMillis ?? 0) : 0;
      const conditions = [node.filter, node.indexCond, node.recheckCond].filter(Boolean) as string[];
      const columns = [...new Set(conditions.flatMap(conditionColumns))].sort();
      const rel = node.relationName;
      const relSql = rel ? (node.schema ? qualifiedName(node.schema, rel) : quoteIdent(rel)) : null;
      const fix: PlanInsight['fix'] = { steps: [] };
      if (relSql && columns.length >= 2) {
        const statName = quoteIdent(`${rel}_${columns.join('_')}_stats`.slice(0, 63));
        fix.sql = `CREATE STATISTICS ${statName} (dependencies, ndistinct, mcv) ON ${columns.map(quoteIdent).join(', ')} FROM ${relSql};\nANALYZE ${relSql};`;
        fix.steps.push(
          `The condition combines ${columns.join(', ')} of ${rel}: the planner multiplies their selectivities as if independent. Extended statistics teach it the correlation.`,
        );
      } else if (relSql) {
        fix.sql = `ANALYZE ${relSql};`;
        if (columns.length === 1)
          fix.sql += `\n-- if the estimate stays off after ANALYZE, sample more values:\nALTER TABLE ${relSql} ALTER COLUMN ${quoteIdent(columns[0]!)} SET STATISTICS 1000;\nANALYZE ${relSql};`;
        fix.steps.push(`Refresh ${rel}'s statistics; if the estimate stays off, raise the column's statistics target.`);
      } else {
        fix.steps.push(
          'The estimate is derived from the inputs: fix the estimates of the scans below first (extended statistics on the join columns help join estimates).',
        );
      }
      out.push({
        ruleId: 'plan-row-misestimate',
        node,
        saving,
        title: `${nodeLabel(node)}: ${factor >= 1 ? 'under' : 'over'}estimated ${Math.round(magnitude).toLocaleString('en-US')}× (${planned.toLocaleString('en-US')} rows expected, ${round(actual, 2).toLocaleString('en-US')} actual)`,
        summary:
          'The planner chose the plan above this node for a row count it got wrong by an order of magnitude or more; correct statistics let it choose again.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          relation: rel ? relationOf(node) : null,
          planRows: planned,
          actualRows: actual,
          loops: node.actual.loops,
          factor: round(magnitude, 1),
          direction: factor >= 1 ? 'under' : 'over',
          condition: conditions[0] ?? null,
          columns,
        },
        fix,
      });
    };
    visit(plan.root);
    return out;
  },
};
