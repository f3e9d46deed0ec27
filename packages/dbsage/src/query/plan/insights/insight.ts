import type { Severity } from '../../../findings/finding.js';
import type { Plan, PlanNode } from '../plan-node.js';
import type { PlanTiming } from '../plan-timing.js';

/**
 * One plan insight: what a plan reader notices about a node, with the time (or cost, for plain EXPLAIN) it could
 * save. Insights are ranked by that saving's share of the whole statement, so the first one is the one to fix.
 */
export interface PlanInsight {
  ruleId: string;
  node: PlanNode;
  /** Estimated time (ms) or cost the fix could save: an upper-bound heuristic documented per rule. */
  saving: number;
  title: string;
  summary: string;
  evidence: Record<string, unknown>;
  fix: { sql?: string; steps: string[] };
}

/** What every insight rule receives. */
export interface InsightInput {
  plan: Plan;
  timing: PlanTiming;
  /** Parent of each node by id (null for the root). */
  parentOf: ReadonlyMap<number, PlanNode | null>;
}

/** An insight rule: a stable id, documented thresholds, and a check over the whole plan. */
export interface PlanInsightRule<O extends Record<string, number> = Record<string, number>> {
  readonly id: string;
  /** One line for docs and `--help`. */
  readonly description: string;
  /** Thresholds with their defaults. */
  readonly defaults: O;
  /** True when the rule needs EXPLAIN ANALYZE figures. */
  readonly needsAnalyze: boolean;
  check(input: InsightInput, options: O): PlanInsight[];
}

/** Severity from the share of statement time an insight could save (the reporters never decide this). */
export function severityForShare(share: number): Severity {
  if (share >= 0.5) return 'high';
  if (share >= 0.2) return 'medium';
  if (share >= 0.05) return 'low';
  return 'info';
}

/** Formats milliseconds for titles: 0.42 ms, 12.3 ms, 1 234 ms. */
export function ms(value: number): string {
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 100) return `${value.toFixed(1)} ms`;
  return `${Math.round(value).toLocaleString('en-US')} ms`;
}

/** Rounds for evidence (3 significant decimals at most). */
export function round(value: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A node's own buffers: its inclusive counters minus its children's (EXPLAIN reports buffers inclusively). */
export function ownBlocks(node: PlanNode): { shared: number; read: number; temp: number } | null {
  if (!node.buffers) return null;
  let shared = node.buffers.sharedHit + node.buffers.sharedRead;
  let read = node.buffers.sharedRead;
  let temp = node.buffers.tempRead + node.buffers.tempWritten;
  for (const c of node.children) {
    if (!c.buffers || c.parentRelationship === 'InitPlan') continue;
    shared -= c.buffers.sharedHit + c.buffers.sharedRead;
    read -= c.buffers.sharedRead;
    temp -= c.buffers.tempRead + c.buffers.tempWritten;
  }
  return { shared: Math.max(0, shared), read: Math.max(0, read), temp: Math.max(0, temp) };
}

/** `relation` or `relation alias` for messages. */
export function relationOf(node: PlanNode): string {
  if (!node.relationName) return node.indexName ?? node.nodeType;
  return node.schema && node.schema !== 'public' ? `${node.schema}.${node.relationName}` : node.relationName;
}
