import type { Catalog } from '../../catalog/types.js';
import type { Finding } from '../../findings/finding.js';
import { findingFingerprint } from '../../findings/fingerprint.js';
import { extractStatement } from '../../sql/extract.js';
import { fingerprintSql, parseRaw } from '../../sql/parser.js';
import { splitSql } from '../../sql/split.js';
import type { WorkloadStatement } from '../../workload/types.js';
import type { AntiPatternContext, AntiPatternRule, StatementUnderCheck } from './anti-pattern.js';
import { correlatedSubquerySelect } from './correlated-subquery-select.js';
import { countForExistence } from './count-for-existence.js';
import { distinctJoinFanout } from './distinct-join-fanout.js';
import { functionOnIndexedColumn } from './function-on-indexed-column.js';
import { leadingWildcardLike } from './leading-wildcard-like.js';
import { notInNullable } from './not-in-nullable.js';
import { offsetPagination } from './offset-pagination.js';
import { orAcrossColumns } from './or-across-columns.js';
import { selectStar } from './select-star.js';
import { unboundedSelect } from './unbounded-select.js';

/** Every SQL anti-pattern rule. */
export const ANTI_PATTERN_RULES: readonly AntiPatternRule[] = [
  selectStar,
  offsetPagination,
  notInNullable,
  functionOnIndexedColumn,
  leadingWildcardLike,
  orAcrossColumns,
  countForExistence,
  distinctJoinFanout,
  unboundedSelect,
  correlatedSubquerySelect,
];

/** Options of the anti-pattern check, with documented defaults. */
export interface AntiPatternOptions {
  catalog?: Catalog;
  /** Calls from which a workload statement is on a hot path (select-star). Default 100. */
  hotCalls?: number;
  /** Mean rows per call from which a workload list without LIMIT is reported. Default 1000. */
  unboundedRows?: number;
  /** Rule ids to leave out. */
  disabled?: readonly string[];
}

/** Statements of a SQL file, ready to check (syntax errors are the `parse`/lint commands' business). */
export function statementsFromFile(source: string, file: string): StatementUnderCheck[] {
  return splitSql(source, file).statements.map((s) => ({
    text: s.text,
    ast: s.ast,
    model: extractStatement(s.ast),
    location: { file, line: s.line, column: s.column },
  }));
}

/** Workload statements, ready to check (unparseable or utility statements are skipped). */
export function statementsFromWorkload(statements: readonly WorkloadStatement[]): StatementUnderCheck[] {
  const out: StatementUnderCheck[] = [];
  for (const w of statements) {
    const parsed = parseRaw(w.query);
    if (!parsed.ok || parsed.stmts.length !== 1) continue;
    const ast = parsed.stmts[0]!.stmt;
    out.push({
      text: w.query,
      ast,
      model: extractStatement(ast),
      workload: {
        fingerprint: w.fingerprint,
        calls: w.calls,
        rowsPerCall: w.calls > 0 ? w.rows / w.calls : 0,
        meanMillis: w.meanTimeMillis,
        totalMillis: w.totalTimeMillis,
      },
      ...(w.location ? { location: w.location } : {}),
    });
  }
  return out;
}

/**
 * Runs every anti-pattern rule over statements and returns findings (category `query`) located at the
 * statement (file:line:col) or named by the statement's fingerprint for workload statements.
 */
export function checkAntiPatterns(
  statements: readonly StatementUnderCheck[],
  options: AntiPatternOptions = {},
): Finding[] {
  const ctx: AntiPatternContext = {
    ...(options.catalog ? { catalog: options.catalog } : {}),
    hotCalls: options.hotCalls ?? 100,
    unboundedRows: options.unboundedRows ?? 1000,
  };
  const out: Finding[] = [];
  for (const s of statements) {
    let fp: string | undefined = s.workload?.fingerprint;
    for (const rule of ANTI_PATTERN_RULES) {
      if (options.disabled?.includes(rule.id)) continue;
      for (const hit of rule.check(s, ctx)) {
        fp ??= safeFingerprint(s.text);
        const statement = s.text.length > 300 ? `${s.text.slice(0, 297)}...` : s.text;
        out.push({
          ruleId: rule.id,
          category: 'query',
          severity: hit.severity,
          title: hit.title,
          summary: hit.summary,
          evidence: { statement, ...hit.evidence },
          remediation: { ...(hit.fix.sql ? { sql: hit.fix.sql } : {}), steps: hit.fix.steps },
          location: s.location ?? { object: `statement ${fp}` },
          fingerprint: findingFingerprint(rule.id, fp, hit.identity),
        });
      }
    }
  }
  return out;
}

function safeFingerprint(text: string): string {
  try {
    return fingerprintSql(text);
  } catch {
    return text;
  }
}
