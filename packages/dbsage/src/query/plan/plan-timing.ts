import type { Plan, PlanNode } from './plan-node.js';

/** Derived per-node figures: what a plan reader computes before judging anything. */
export interface NodeTiming {
  /** Processes the node's figures are averaged over (1 outside a parallel section). */
  processes: number;
  /** Wall-clock time of the node and its children, ms: per-loop time × loops ÷ processes. */
  inclusiveMillis: number;
  /** Inclusive time minus the children's inclusive time (never below 0), ms. */
  exclusiveMillis: number;
  /** Rows produced over all loops (and all processes). */
  totalRows: number;
  /** Estimated rows over all loops (plan rows are per loop). */
  totalPlanRows: number;
  /** Total cost minus the children's total cost (never below 0): the plain-EXPLAIN stand-in for time. */
  exclusiveCost: number;
}

/** Timing of every node of a plan, plus the plan's total (execution time, or the root's time/cost). */
export interface PlanTiming {
  byId: Map<number, NodeTiming>;
  /** Execution time (analyzed) or root total cost (plain EXPLAIN): the denominator of every share. */
  total: number;
  /** `ms` for analyzed plans, `cost` for plain EXPLAIN. */
  unit: 'ms' | 'cost';
}

/**
 * Computes inclusive and exclusive time per node the way depesz and pev2 do: EXPLAIN reports per-loop averages,
 * so time × loops is the node's real time; below a Gather the figures are averages over the leader and the
 * workers, so the product is divided by the number of processes; a node's own (exclusive) time is what is left
 * after its children's. InitPlans and SubPlans are children like any other: their time is inside the parent's.
 */
export function computePlanTiming(plan: Plan): PlanTiming {
  const byId = new Map<number, NodeTiming>();
  const visit = (node: PlanNode, processes: number): NodeTiming => {
    let childProcesses = processes;
    if ((node.nodeType === 'Gather' || node.nodeType === 'Gather Merge') && node.workersLaunched !== null) {
      // The leader runs the parallel part too unless parallel_leader_participation is off; a parallel-aware
      // child's loops tell which: launched + 1 with the leader, launched without.
      const childLoops = node.children[0]?.actual?.loops ?? node.workersLaunched + 1;
      childProcesses = Math.max(1, Math.min(node.workersLaunched + 1, childLoops));
    }
    const children = node.children.map((c) => visit(c, childProcesses));
    const a = node.actual;
    const loops = a?.loops ?? 0;
    const inclusive = a ? (a.totalTimeMillis * loops) / processes : 0;
    const childInclusive = children.reduce((s, c) => s + c.inclusiveMillis, 0);
    const childCost = node.children.reduce((s, c) => s + c.totalCost, 0);
    const timing: NodeTiming = {
      processes,
      inclusiveMillis: inclusive,
      exclusiveMillis: Math.max(0, inclusive - childInclusive),
      totalRows: a ? a.rows * loops : 0,
      totalPlanRows: node.planRows * Math.max(1, loops),
      exclusiveCost: Math.max(0, node.totalCost - childCost),
    };
    byId.set(node.id, timing);
    return timing;
  };
  const root = visit(plan.root, 1);
  if (plan.analyzed) {
    const total = plan.executionTimeMillis ?? root.inclusiveMillis;
    return { byId, total: Math.max(total, 1e-6), unit: 'ms' };
  }
  return { byId, total: Math.max(plan.root.totalCost, 1e-6), unit: 'cost' };
}
