import { type Severity, severityRank } from '../findings/finding.js';

/**
 * Severity ladders. A check states the value at which each severity starts (from its options, in units of the
 * evidence: a percentage of a limit, a ratio to the table's own threshold, seconds); the ladder picks the highest
 * step reached. Keeping this in one place means every check scales the same way and no check hard-codes a level.
 */
export type Ladder = Partial<Record<Severity, number>>;

/** The highest severity whose start value `value` reaches, or undefined when below every step. */
export function climb(value: number, ladder: Ladder): Severity | undefined {
  let best: Severity | undefined;
  for (const [severity, start] of Object.entries(ladder) as [Severity, number][]) {
    if (start === undefined || !Number.isFinite(start) || value < start) continue;
    if (best === undefined || severityRank(severity) > severityRank(best)) best = severity;
  }
  return best;
}

/** The more severe of two severities (undefined counts as none). */
export function maxSeverity(a: Severity | undefined, b: Severity | undefined): Severity | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return severityRank(a) >= severityRank(b) ? a : b;
}

/** Caps a severity (e.g. to `info` while statistics are too young to trust). */
export function capSeverity(severity: Severity, cap: Severity): Severity {
  return severityRank(severity) > severityRank(cap) ? cap : severity;
}
