import type { Severity } from '../findings/finding.js';
import { climb } from './severity.js';
import type { IndexInfo } from './sources.js';

/** Size thresholds shared by the checks that report an index as wasted space (duplicate, redundant). */
export const INDEX_WASTE_OPTIONS = {
  mediumBytes: {
    type: 'number',
    default: 100 * 1024 * 1024,
    min: 0,
    description: 'index size from which severity is medium (accepts 100MB)',
  },
  highBytes: {
    type: 'number',
    default: 10 * 1024 ** 3,
    min: 0,
    description: 'index size from which severity is high (accepts 10GB)',
  },
  mediumPercentOfTable: {
    type: 'number',
    default: 30,
    min: 0,
    description: 'index size as a % of its table (over 10 MB) from which severity is medium',
  },
} as const;

/** Severity of a wasted index: by its size, absolute and relative to its table. */
export function wasteSeverity(
  i: IndexInfo,
  o: { mediumBytes: number; highBytes: number; mediumPercentOfTable: number },
): Severity {
  let severity = climb(i.sizeBytes, { low: 0, medium: o.mediumBytes, high: o.highBytes }) ?? 'low';
  if (
    severity === 'low' &&
    i.tableBytes >= 10 * 1024 * 1024 &&
    (i.sizeBytes / i.tableBytes) * 100 >= o.mediumPercentOfTable
  ) {
    severity = 'medium';
  }
  return severity;
}
