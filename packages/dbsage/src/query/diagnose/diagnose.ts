import type { Finding } from '../../findings/finding.js';
import { severityRank } from '../../findings/finding.js';
import type { Analyzer, AnalyzerContext, AnalyzerOutcome } from '../../findings/registry.js';
import { runAnalyzers } from '../../findings/registry.js';
import type { WorkloadStatement } from '../../workload/types.js';
import { explainStatement } from '../explain/run-explain.js';
import { analyzePlan, insightFindings } from '../plan/plan-insights.js';
import { SYMPTOM_PLANS, type Symptom } from './symptoms.js';

/** One ranked cause. */
export interface RankedCause {
  finding: Finding;
  /** severity rank × relevance of the check for the symptom (1 for the first check, down to 0.5 for the last). */
  score: number;
}

/** The diagnosis of a symptom. */
export interface Diagnosis {
  symptom: Symptom;
  causes: RankedCause[];
  outcomes: AnalyzerOutcome[];
  /** Checks the symptom names that are not available in this build. */
  missing: string[];
  notes: string[];
}

/**
 * Diagnoses a symptom: runs the doctor and query checks that explain it (found through analyzer discovery, so the
 * doctor's checks are reused, not copied), EXPLAINs the heaviest statements when the symptom is about time or
 * CPU, and ranks the findings by evidence: severity weighted by how telling the check is for the symptom.
 */
export async function diagnose(
  symptom: Symptom,
  ctx: AnalyzerContext,
  available: readonly Analyzer[],
  options: { topStatements?: number } = {},
): Promise<Diagnosis> {
  const plan = SYMPTOM_PLANS[symptom];
  const byId = new Map(available.map((a) => [a.id, a]));
  const chosen = plan.analyzers.map((id) => byId.get(id)).filter((a): a is Analyzer => a !== undefined);
  const missing = plan.analyzers.filter((id) => !byId.has(id));
  const outcomes = await runAnalyzers(chosen, ctx);
  const relevance = (id: string) => {
    const i = plan.analyzers.indexOf(id);
    return i < 0 ? 0.5 : 1 - (0.5 * i) / Math.max(1, plan.analyzers.length - 1);
  };
  const causes: RankedCause[] = [];
  for (const o of outcomes)
    for (const f of o.findings)
      causes.push({ finding: f, score: (severityRank(f.severity) + 1) * relevance(o.analyzerId) });
  const notes: string[] = [];
  if (plan.explainTopStatements && ctx.client) {
    const workload = await ctx.workload().catch(() => null);
    const top = (workload?.statements ?? [])
      .filter((s: WorkloadStatement) => /^\s*(select|with)\b/i.test(s.query))
      .sort((a, b) => b.totalTimeMillis - a.totalTimeMillis)
      .slice(0, options.topStatements ?? 3);
    for (const s of top) {
      try {
        const r = await explainStatement(ctx.client, s.query);
        for (const f of insightFindings(analyzePlan(r.plan, { statementFingerprint: s.fingerprint }), {
          statementFingerprint: s.fingerprint,
        })) {
          f.evidence = {
            statement: s.query.slice(0, 300),
            totalMillis: Math.round(s.totalTimeMillis),
            calls: s.calls,
            ...f.evidence,
          };
          causes.push({ finding: f, score: (severityRank(f.severity) + 1) * 0.75 });
        }
      } catch (error) {
        notes.push(`could not EXPLAIN a top statement: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    if (top.length === 0) notes.push('no workload statements to EXPLAIN (pg_stat_statements unavailable or empty)');
  }
  causes.sort((a, b) => b.score - a.score || a.finding.ruleId.localeCompare(b.finding.ruleId));
  if (causes.length === 0) notes.push(`nothing conclusive in the database; also check: ${plan.alsoCheck.join(' ')}`);
  else notes.push(`also check: ${plan.alsoCheck.join(' ')}`);
  return { symptom, causes, outcomes, missing, notes };
}
