import { nodeLabel, type PlanNode } from '../plan-node.js';
import { type PlanInsight, type PlanInsightRule, round } from './insight.js';

/**
 * `plan-nested-loop-loops`: a nested loop ran its inner side very many times. Each loop is cheap but they add
 * up; usually the outer side was underestimated (so a hash or merge join was not chosen) or the inner side has
 * no index on the join key. The saving counted is half the inner side's time.
 */
export const nestedLoopLoops: PlanInsightRule<{ minLoops: number; minShare: number }> = {
  id: 'plan-nested-loop-loops',
  description: 'A nested loop executed its inner side many times',
  defaults: { minLoops: 1000, minShare: 0.1 },
  needsAnalyze: true,
  check({ plan, timing }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      if (node.nodeType !== 'Nested Loop' || node.children.length < 2) return;
      const inner = node.children[1]!;
      const ti = timing.byId.get(inner.id);
      if (!inner.actual || !ti) return;
      const loops = inner.actual.loops;
      const share = ti.inclusiveMillis / timing.total;
      if (loops < o.minLoops || share < o.minShare) return;
      const outer = node.children[0]!;
      const underestimated = outer.actual ? outer.actual.rows > outer.planRows * 10 : false;
      out.push({
        ruleId: 'plan-nested-loop-loops',
        node,
        saving: ti.inclusiveMillis * 0.5,
        title: `${nodeLabel(node)} ran ${nodeLabel(inner)} ${loops.toLocaleString('en-US')} times (${Math.round(share * 100)} % of the statement)`,
        summary:
          'The inner side of the nested loop runs once per outer row; for many outer rows a hash or merge join, or an index on the inner join key, is cheaper.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          inner: nodeLabel(inner),
          loops,
          innerMillis: round(ti.inclusiveMillis),
          innerMillisPerLoop: round(inner.actual.totalTimeMillis),
          outerPlanRows: outer.planRows,
          outerActualRows: outer.actual?.rows ?? null,
          outerUnderestimated: underestimated,
        },
        fix: {
          steps: [
            underestimated
              ? `The outer side was estimated at ${outer.planRows} rows but produced ${outer.actual?.rows}: fix that estimate (see plan-row-misestimate) and the planner picks a hash join.`
              : 'Index the inner side on the join key, or check that the join condition is an equality a hash join can use.',
          ],
        },
      });
    };
    visit(plan.root);
    return out;
  },
};
