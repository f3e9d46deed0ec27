import { nodeLabel, type PlanNode } from '../plan-node.js';
import { type PlanInsight, type PlanInsightRule, round } from './insight.js';

/**
 * `plan-workers-not-launched`: the planner counted on parallel workers that were not available at run time
 * (max_parallel_workers or max_worker_processes exhausted), so the leader did the work with fewer helpers. The
 * saving counted is the parallel part's time scaled by the missing processes.
 */
export const workersNotLaunched: PlanInsightRule<Record<string, number>> = {
  id: 'plan-workers-not-launched',
  description: 'Fewer parallel workers launched than planned',
  defaults: {},
  needsAnalyze: true,
  check({ plan, timing }) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      if (!t || node.workersPlanned === null || node.workersLaunched === null) return;
      if (node.workersLaunched >= node.workersPlanned) return;
      const parallelPart = node.children[0] ? (timing.byId.get(node.children[0].id)?.inclusiveMillis ?? 0) : 0;
      const saving = parallelPart * (1 - (node.workersLaunched + 1) / (node.workersPlanned + 1));
      out.push({
        ruleId: 'plan-workers-not-launched',
        node,
        saving,
        title: `${nodeLabel(node)}: ${node.workersLaunched} of ${node.workersPlanned} planned workers launched`,
        summary:
          'The plan was costed with more parallel workers than the server could start at run time, so the parallel part ran with fewer processes than planned.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          workersPlanned: node.workersPlanned,
          workersLaunched: node.workersLaunched,
          parallelPartMillis: round(parallelPart),
        },
        fix: {
          steps: [
            'Raise max_parallel_workers (and max_worker_processes, which needs a restart) or lower max_parallel_workers_per_gather so plans match what the server can launch under load.',
          ],
        },
      });
    };
    visit(plan.root);
    return out;
  },
};
