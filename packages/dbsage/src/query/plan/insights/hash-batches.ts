import { nodeLabel, type PlanNode } from '../plan-node.js';
import { type PlanInsight, type PlanInsightRule, round } from './insight.js';

/**
 * `plan-hash-batches`: a hash table was split into several batches written to temporary files because it did
 * not fit in work_mem × hash_mem_multiplier. The memory to suggest is the peak per batch times the batches; the
 * saving counted is half the join's and the hash's own time, scaled by the share of batches that went to disk.
 */
export const hashBatches: PlanInsightRule<{ minBatches: number }> = {
  id: 'plan-hash-batches',
  description: 'A hash (join or aggregate) spilled into several batches',
  defaults: { minBatches: 2 },
  needsAnalyze: true,
  check({ plan, timing, parentOf }, o) {
    const out: PlanInsight[] = [];
    const visit = (node: PlanNode): void => {
      node.children.forEach(visit);
      const t = timing.byId.get(node.id);
      if (!t || node.hashBatches === null || node.hashBatches < o.minBatches) return;
      const parent = parentOf.get(node.id) ?? null;
      const joinOwn = parent && /Hash/.test(parent.nodeType) ? (timing.byId.get(parent.id)?.exclusiveMillis ?? 0) : 0;
      const peakKb = node.peakMemoryUsage ?? 0;
      const neededKb = peakKb * node.hashBatches;
      const mb = 2 ** Math.ceil(Math.log2(Math.max(1, neededKb / 1024)));
      out.push({
        ruleId: 'plan-hash-batches',
        node,
        saving: (t.exclusiveMillis + joinOwn) * 0.5 * (1 - 1 / node.hashBatches),
        title: `${parent ? nodeLabel(parent) : nodeLabel(node)}: hash split into ${node.hashBatches} batches${node.originalHashBatches && node.originalHashBatches !== node.hashBatches ? ` (planned ${node.originalHashBatches})` : ''}`,
        summary:
          'The hash table did not fit in memory, so both inputs were partitioned into batches on disk and read back; with enough memory it runs in one pass.',
        evidence: {
          node: nodeLabel(node),
          nodeId: node.id,
          batches: node.hashBatches,
          originalBatches: node.originalHashBatches,
          buckets: node.hashBuckets,
          peakMemoryKb: peakKb,
          suggestedWorkMemMb: mb,
          exclusiveMillis: round(t.exclusiveMillis + joinOwn),
        },
        fix: {
          sql: `SET work_mem = '${mb}MB';  -- or raise hash_mem_multiplier; per session or role, not globally`,
          steps: [
            `Give the hash about ${mb} MB (work_mem × hash_mem_multiplier), or hash the smaller input (check the estimates of both sides).`,
          ],
        },
      });
    };
    visit(plan.root);
    return out;
  },
};
