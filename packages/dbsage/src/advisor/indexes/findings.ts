import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';
import type { Finding, Severity } from '../../findings/finding.js';
import { findingFingerprint } from '../../findings/fingerprint.js';
import type { AdvisorResult, Recommendation, StatementOutcome } from './advise.js';
import { extensionDdl, extensionsFor, keySql } from './candidate.js';
import type { DropCandidate } from './existing.js';
import { formatBytes } from './options.js';
import type { VerifyReport } from './verify.js';

/** Rule ids of the index advisor (one docs/rules page each). */
export const INDEX_ADVISOR_RULES = {
  recommendation: 'index-recommendation',
  drop: 'index-drop-candidate',
  noRecommendation: 'index-no-recommendation',
  regression: 'index-verify-regression',
} as const;

/** Severity thresholds of a recommendation, as its predicted share of the workload saved. */
export const RECOMMENDATION_SEVERITY = { high: 0.2, medium: 0.05 } as const;

function unitLabel(unit: 'ms' | 'cost'): string {
  return unit === 'ms' ? 'workload ms' : 'planner cost units';
}

function statementEvidence(s: StatementOutcome) {
  return {
    query: s.query,
    calls: s.calls,
    weight: round(s.weight),
    paramSource: s.paramSource,
    costBefore: round(s.costBefore),
    costAfter: round(s.costAfter),
    genericCostBefore: round(s.genericCostBefore),
    genericCostAfter: round(s.genericCostAfter),
    planBefore: s.planBefore,
    planAfter: s.planAfter,
  };
}

function round(n: number | null): number | null {
  return n === null ? null : Math.round(n * 100) / 100;
}

function costNote(r: Recommendation, engine: string): string {
  if (r.costSource === 'model')
    return 'HypoPG cannot simulate GIN indexes: costs come from dbsage’s bitmap-scan model over the HypoPG plan and the size is estimated; --verify on a scratch copy measures them';
  if (r.costSource === 'hypopg')
    return 'planner costs with a HypoPG hypothetical index; size from hypopg_relation_size';
  return `planner costs with the index built for real inside a rolled-back transaction (${engine}); size measured`;
}

function recommendationFinding(result: AdvisorResult, r: Recommendation, verify: VerifyReport | undefined): Finding {
  const c = r.candidate;
  const total = result.statements.reduce((a, s) => a + s.weight, 0);
  const share = total > 0 ? r.predictedGain / total : 0;
  const severity: Severity =
    share >= RECOMMENDATION_SEVERITY.high ? 'high' : share >= RECOMMENDATION_SEVERITY.medium ? 'medium' : 'low';
  const before = r.statements.reduce((a, s) => a + (s.costBefore ?? 0), 0);
  const after = r.statements.reduce((a, s) => a + (s.costAfter ?? 0), 0);
  const keys = c.keys.map((k) => keySql(k, c.method)).join(', ');
  const using = c.method === 'btree' ? '' : ` USING ${c.method}`;
  const inc = c.include.length ? ` INCLUDE (${c.include.map(quoteIdent).join(', ')})` : '';
  const where = c.predicate ? ` WHERE ${c.predicate}` : '';
  const measured = verify?.indexes.find((i) => i.name === c.name);
  const replaces = result.drops.filter((d) => d.coveredByRecommendation && d.coveredBy === c.name).map((d) => d.index);
  const extensions = extensionsFor(c).filter((e) => result.requiredExtensions.includes(e));
  return {
    ruleId: INDEX_ADVISOR_RULES.recommendation,
    category: 'index',
    severity,
    title: `Add index ${c.name} on ${qualifiedName(c.schema, c.table)}${using} (${keys})${inc}${where}`,
    summary: `Serves ${r.statements.length} statement${r.statements.length === 1 ? '' : 's'}: planner cost ${before.toFixed(0)} → ${after.toFixed(0)}, about ${(share * 100).toFixed(1)} % of the workload saved, for ${formatBytes(r.sizeBytes)}.${r.indexOnlyAfterVacuum ? ' INCLUDE columns give an index-only scan once VACUUM has set the visibility map.' : ''}${r.belowThreshold ? ' Below the advisor’s gain threshold: taken because the storage budget had room for it.' : ''}`,
    evidence: {
      index: c.name,
      table: qualifiedName(c.schema, c.table),
      method: c.method,
      keys: c.keys.map((k) => keySql(k, c.method)),
      include: c.include,
      predicate: c.predicate,
      kinds: c.kinds,
      sizeBytes: r.sizeBytes,
      sizeSource: r.sizeSource,
      engine: result.engine,
      costSource: r.costSource,
      costNote: costNote(r, result.engine),
      statements: r.statements.map(statementEvidence),
      cumulativeRelativeCost: round(r.cumulativeRelativeCost),
      cumulativeBytes: r.cumulativeBytes,
      indexOnlyAfterVacuum: r.indexOnlyAfterVacuum,
      belowThreshold: r.belowThreshold,
      ...(extensions.length ? { requiresExtensions: extensions } : {}),
      ...(replaces.length ? { makesRedundant: replaces } : {}),
    },
    remediation: {
      sql: [...extensions.map((e) => `${extensionDdl(e)};`), `${r.ddl};`].join('\n'),
      steps: [
        ...extensions.map((e) => `${e} is available but not installed: the index needs it (CREATE EXTENSION)`),
        'CREATE INDEX CONCURRENTLY does not block writes; it cannot run inside a transaction block',
        'if it fails it leaves an INVALID index: DROP INDEX CONCURRENTLY it and retry',
      ],
    },
    impact: {
      predicted: {
        unit: unitLabel(result.unit),
        workloadGain: round(r.predictedGain),
        workloadShare: round(share),
        marginalGain: round(r.marginalGain),
        costBefore: round(before),
        costAfter: round(after),
      },
      ...(measured
        ? {
            measured: {
              runs: verify!.runs,
              millisBefore: round(measured.millisBefore),
              millisAfter: round(measured.millisAfter),
              measuredGain: round(measured.measuredGain),
              predictedGain: round(measured.predictedGain),
              ratio: round(measured.ratio),
              confirmed: measured.confirmed,
            },
          }
        : {}),
    },
    location: { object: `${qualifiedName(c.schema, c.table)}` },
    fingerprint: findingFingerprint(INDEX_ADVISOR_RULES.recommendation, c.id),
  };
}

function dropFinding(d: DropCandidate): Finding {
  const severity: Severity = d.reason === 'invalid' || d.reason === 'duplicate' ? 'medium' : 'low';
  const why: Record<DropCandidate['reason'], string> = {
    invalid: 'is INVALID (a failed CREATE INDEX CONCURRENTLY): it is maintained on every write and never used',
    duplicate: `duplicates ${d.coveredBy}: every write maintains both`,
    redundant: d.coveredByRecommendation
      ? `becomes redundant once the recommended ${d.coveredBy} exists (its keys are a prefix)`
      : `is redundant: its keys are a prefix of ${d.coveredBy}`,
    unused: 'has not been scanned since the statistics were reset',
  };
  return {
    ruleId: INDEX_ADVISOR_RULES.drop,
    category: 'index',
    severity,
    title: `Drop index ${d.index} on ${qualifiedName(d.schema, d.table)} (${d.reason})`,
    summary: `${d.index} ${why[d.reason]}. Dropping it saves ${formatBytes(d.sizeBytes)} and write work.`,
    evidence: {
      index: d.index,
      table: qualifiedName(d.schema, d.table),
      reason: d.reason,
      coveredBy: d.coveredBy,
      coveredByRecommendation: d.coveredByRecommendation,
      sizeBytes: d.sizeBytes,
      scans: d.scans,
      definition: d.definition,
    },
    remediation: {
      sql: `DROP INDEX CONCURRENTLY IF EXISTS ${qualifiedName(d.schema, d.index)};`,
      ...(d.coveredByRecommendation ? { steps: [`create ${d.coveredBy} first`] } : {}),
    },
    location: { object: qualifiedName(d.schema, d.index) },
    fingerprint: findingFingerprint(INDEX_ADVISOR_RULES.drop, d.schema, d.index),
  };
}

function noRecommendationFinding(s: StatementOutcome): Finding {
  return {
    ruleId: INDEX_ADVISOR_RULES.noRecommendation,
    category: 'index',
    severity: 'info',
    title: `No index for: ${s.query.length > 80 ? `${s.query.slice(0, 77)}…` : s.query} (${s.reason})`,
    summary: s.reasonDetail ?? s.reason ?? '',
    evidence: {
      reason: s.reason,
      detail: s.reasonDetail,
      query: s.query,
      calls: s.calls,
      weight: round(s.weight),
      costBefore: round(s.costBefore),
      costAfter: round(s.costAfter),
      plan: s.planBefore,
    },
    fingerprint: findingFingerprint(INDEX_ADVISOR_RULES.noRecommendation, s.id),
  };
}

function regressionFinding(v: VerifyReport['statements'][number]): Finding {
  return {
    ruleId: INDEX_ADVISOR_RULES.regression,
    category: 'index',
    severity: 'medium',
    title: `Slower with the recommended indexes: ${v.query.length > 70 ? `${v.query.slice(0, 67)}…` : v.query}`,
    summary: `Measured ${v.millisBefore.toFixed(2)} ms → ${v.millisAfter.toFixed(2)} ms (median of ${v.runs}) after the plan changed; review before applying.`,
    evidence: { ...v },
    fingerprint: findingFingerprint(INDEX_ADVISOR_RULES.regression, v.id),
  };
}

/** Findings of an advisor run (and its verification, when there was one). */
export function advisorFindings(result: AdvisorResult, verify?: VerifyReport): Finding[] {
  return [
    ...result.recommendations.map((r) => recommendationFinding(result, r, verify)),
    ...result.drops.map(dropFinding),
    ...result.statements.filter((s) => s.reason !== null).map(noRecommendationFinding),
    ...(verify?.statements.filter((s) => s.regressed).map(regressionFinding) ?? []),
  ];
}
