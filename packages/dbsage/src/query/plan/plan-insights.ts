import type { Finding } from '../../findings/finding.js';
import { findingFingerprint } from '../../findings/fingerprint.js';
import { diskSort } from './insights/disk-sort.js';
import { filterWaste } from './insights/filter-waste.js';
import { hashBatches } from './insights/hash-batches.js';
import { heapFetches } from './insights/heap-fetches.js';
import { type PlanInsight, type PlanInsightRule, round, severityForShare } from './insights/insight.js';
import { largeSeqScan } from './insights/large-seq-scan.js';
import { lossyBitmap } from './insights/lossy-bitmap.js';
import { nestedLoopLoops } from './insights/nested-loop-loops.js';
import { poorReadEfficiency } from './insights/poor-read-efficiency.js';
import { rowMisestimate } from './insights/row-misestimate.js';
import { slowNode } from './insights/slow-node.js';
import { workersNotLaunched } from './insights/workers-not-launched.js';
import { nodeLabel, type Plan, type PlanNode, walkPlan } from './plan-node.js';
import { computePlanTiming, type PlanTiming } from './plan-timing.js';

/** Every plan insight rule, in documentation order. */
export const PLAN_INSIGHT_RULES: readonly PlanInsightRule[] = [
  slowNode,
  rowMisestimate,
  filterWaste,
  diskSort,
  hashBatches,
  lossyBitmap,
  heapFetches,
  nestedLoopLoops,
  workersNotLaunched,
  largeSeqScan,
  poorReadEfficiency,
] as readonly PlanInsightRule[];

/** Options: per-rule threshold overrides by rule id, and the statement the plan belongs to (for fingerprints). */
export interface PlanInsightOptions {
  thresholds?: Record<string, Record<string, number>>;
  /** Statement fingerprint (libpg-query), so a finding's fingerprint is stable per statement and node. */
  statementFingerprint?: string;
  /** Rule ids to leave out. */
  disabled?: readonly string[];
}

/** An insight with its share of the statement it could save, as ranked. */
export interface RankedInsight extends PlanInsight {
  /** saving ÷ statement time (or cost): the ranking key. */
  share: number;
}

/** The result of reading a plan. */
export interface PlanAnalysis {
  plan: Plan;
  timing: PlanTiming;
  insights: RankedInsight[];
}

/**
 * Reads a plan like pev2, depesz and pgMustard do, and ranks what it finds by the share of the statement's time
 * each fix could save (cost share for plain EXPLAIN). Rules that need ANALYZE figures are skipped on plain plans.
 */
export function analyzePlan(plan: Plan, options: PlanInsightOptions = {}): PlanAnalysis {
  const timing = computePlanTiming(plan);
  const parentOf = new Map<number, PlanNode | null>();
  walkPlan(plan.root, (n, p) => parentOf.set(n.id, p));
  const insights: RankedInsight[] = [];
  for (const rule of PLAN_INSIGHT_RULES) {
    if (options.disabled?.includes(rule.id)) continue;
    if (rule.needsAnalyze && !plan.analyzed) continue;
    const thresholds = { ...rule.defaults, ...(options.thresholds?.[rule.id] ?? {}) };
    for (const i of rule.check({ plan, timing, parentOf }, thresholds)) {
      insights.push({ ...i, share: Math.min(1, i.saving / timing.total) });
    }
  }
  // The slow-node insight says "time goes here"; when a specific insight explains the node, that one is kept and
  // carries the node's share instead.
  const explained = new Set(insights.filter((i) => i.ruleId !== slowNode.id).map((i) => i.node.id));
  const kept = insights.filter((i) => i.ruleId !== slowNode.id || !explained.has(i.node.id));
  insights.length = 0;
  for (const i of kept) {
    const t = timing.byId.get(i.node.id);
    const own = t ? (timing.unit === 'ms' ? t.exclusiveMillis : t.exclusiveCost) : 0;
    insights.push({ ...i, evidence: { ...i.evidence, nodeShare: round(own / timing.total) } });
  }
  insights.sort((a, b) => b.share - a.share || a.node.id - b.node.id || a.ruleId.localeCompare(b.ruleId));
  return { plan, timing, insights };
}

/** Converts ranked insights to findings (category `query`, severity by the share they could save). */
export function insightFindings(analysis: PlanAnalysis, options: PlanInsightOptions = {}): Finding[] {
  return analysis.insights.map((i, rank) => ({
    ruleId: i.ruleId,
    category: 'query' as const,
    severity: severityForShare(i.share),
    title: i.title,
    summary: i.summary,
    evidence: {
      rank: rank + 1,
      couldSave: round(i.saving),
      couldSaveShare: round(i.share),
      unit: analysis.timing.unit,
      ...i.evidence,
    },
    remediation: { ...(i.fix.sql ? { sql: i.fix.sql } : {}), steps: i.fix.steps },
    location: { object: nodeLabel(i.node) },
    fingerprint: findingFingerprint(i.ruleId, options.statementFingerprint, nodeLabel(i.node)),
  }));
}
