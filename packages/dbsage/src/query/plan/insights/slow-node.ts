import { nodeLabel, type PlanNode } from '../plan-node.js';
import { ms, type PlanInsightRule, round } from './insight.js';

/**
 * `plan-slow-node`: a node whose own time (children subtracted, loops and workers accounted) is a large share of
 * the statement. The saving is its own time: the upper bound of what rewriting or indexing that step can win.
 */
export const slowNode: PlanInsightRule<{ minShare: number; minMillis: number }> = {
  id: 'plan-slow-node',
  description: 'A node whose exclusive time is a large share of the statement',
  defaults: { minShare: 0.25, minMillis: 1 },
  needsAnalyze: false,
  check({ plan, timing }, o) {
    const out = [];
    for (const [id, t] of timing.byId) {
      const own = timing.unit === 'ms' ? t.exclusiveMillis : t.exclusiveCost;
      const share = own / timing.total;
      if (share < o.minShare || (timing.unit === 'ms' && own < o.minMillis)) continue;
      const node = findNode(plan.root, id);
      if (!node) continue;
      const amount = timing.unit === 'ms' ? ms(own) : `cost ${Math.round(own)}`;
      out.push({
        ruleId: 'plan-slow-node',
        node,
        saving: own,
        title: `${nodeLabel(node)} takes ${Math.round(share * 100)} % of the statement (${amount} on its own)`,
        summary:
          'Most of the time is spent in this one step, children excluded; that is where an index, a rewrite or more memory pays off first.',
        evidence: {
          node: nodeLabel(node),
          nodeId: id,
          exclusive: round(own),
          inclusive: round(timing.unit === 'ms' ? t.inclusiveMillis : node.totalCost),
          unit: timing.unit,
          share: round(share),
          loops: node.actual?.loops ?? null,
          processes: t.processes,
        },
        fix: { steps: ['Look at the other insights on this node; they name the cause when dbsage recognises it.'] },
      });
    }
    return out;
  },
};

function findNode(root: PlanNode, id: number): PlanNode | null {
  if (root.id === id) return root;
  for (const c of root.children) {
    const f = findNode(c, id);
    if (f) return f;
  }
  return null;
}
