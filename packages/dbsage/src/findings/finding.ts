import { compareText } from '../util/compare.js';

/**
 * The one record shape every analyzer returns. Reporters, suppressions, `--fail-on` and dashboards work on
 * this shape alone, so a new rule never touches reporter or CLI code.
 */

/** Severities, lowest first. The order is used by `--fail-on` and by the reporters' grouping. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Finding categories. */
export const CATEGORIES = [
  'schema',
  'migration',
  'index',
  'query',
  'health',
  'config',
  'cache',
  'mongo',
  'design',
  'syntax',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Where a finding points: a source position (1-based line and column) or a database object. */
export type FindingLocation =
  | { file: string; line: number; column: number; endLine?: number; endColumn?: number }
  | { object: string };

/** What to do about a finding: SQL to run, code to write, or steps to follow. */
export interface Remediation {
  sql?: string;
  code?: string;
  steps?: string[];
}

/** Advisor figures: predicted (from the planner) and measured (from real runs) before/after. */
export interface Impact {
  predicted?: Record<string, unknown>;
  measured?: Record<string, unknown>;
}

/** One finding. See CONVENTIONS §3. */
export interface Finding {
  /** Stable kebab-case id, e.g. `fk-without-index`. */
  ruleId: string;
  category: Category;
  severity: Severity;
  /** One line naming the object. */
  title: string;
  /** Why it matters, two sentences at most. */
  summary: string;
  /** The numbers that justify the finding. */
  evidence: Record<string, unknown>;
  remediation?: Remediation;
  impact?: Impact;
  location?: FindingLocation;
  /** Stable across runs: ruleId + object identity, never numbers. */
  fingerprint: string;
}

/** Runtime check that a string is a severity. */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** Numeric rank of a severity (info = 0 … critical = 4). */
export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Sorts findings most severe first, then by rule id and title (code-unit order: the same on every machine). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      compareText(a.ruleId, b.ruleId) ||
      compareText(a.title, b.title),
  );
}
