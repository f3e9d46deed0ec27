import { nodeLabel, type PlanNode } from '../plan-node.js';
import { type PlanInsight, type PlanInsightRule, round } from './insight.js';

/**
 * `plan-disk-sort`: a sort spilled to temporary files because it did not fit in work_mem. An in-memory sort of
 * the same data needs more memory than the on-disk run files (tuples carry per-tuple overhead in memory), so the
 * suggestion is about twice the disk space, rounded up to a power of two in MB; the saving counted is half the
 * sort's own time (the temp file writes and reads it avoids).
 */
export const diskSort: PlanInsightRule<{ memoryFactor: number }> = {
  id: 'plan-disk-sort',
  description: 'A sort spilled to disk (work_mem too small for it)',
  defaults: { memoryFactor: 2 },
  needsAnalyze: true,
  check({ plan, timing }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      if (!t || node.sortSpaceType !== 'Disk' || node.sortSpaceUsed === null) return;
      const neededKb = node.sortSpaceUsed * o.memoryFactor;
      const mb = 2 ** Math.ceil(Math.log2(Math.max(1, neededKb / 1024)));
      out.push({
        ruleId: 'plan-disk-sort',
        node,
        saving: t.exclusiveMillis * 0.5,
        title: `${nodeLabel(node)} spilled ${Math.round(node.sortSpaceUsed / 1024).toLocaleString('en-US')} MB to disk (${node.sortMethod ?? 'external sort'})`,
        summary:
          'The sort did not fit in work_mem and wrote temporary files; with enough memory for this statement it sorts in memory.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          sortMethod: node.sortMethod,
          diskKb: node.sortSpaceUsed,
          sortKey: node.sortKey,
          suggestedWorkMemMb: mb,
          exclusiveMillis: round(t.exclusiveMillis),
        },
        fix: {
          sql: `SET work_mem = '${mb}MB';  -- for this session or role (ALTER ROLE … SET work_mem), not globally: every sort and hash of every connection may use it`,
          steps: [
            `Raise work_mem to about ${mb} MB for the sessions that run this statement, or sort fewer rows (an index on ${node.sortKey?.join(', ') ?? 'the sort key'} can deliver them in order).`,
          ],
        },
      });
    };
    visit(plan.root);
    return out;
  },
};
