import { qualifiedName } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { candidateTables } from '../sources.js';
import { formatBytes, formatCount, percent } from '../units.js';

/**
 * `seq-scan-heavy-table`: large tables read mostly by sequential scans. A scan of a small table is cheap; a
 * scan that reads most of a large table many times is usually a missing index (or a query that filters on an
 * expression no index covers). Severity climbs with the table size and the rows read per scan.
 */
export const seqScanHeavyTable = defineCheck({
  id: 'seq-scan-heavy-table',
  category: 'index',
  watchRefresh: 'counters',
  description: 'Large tables read mostly by sequential scans',
  options: {
    minBytes: {
      type: 'number',
      default: 10 * 1024 * 1024,
      min: 0,
      description: 'tables smaller than this are ignored (accepts 10MB)',
    },
    minSeqScans: {
      type: 'number',
      default: 100,
      min: 0,
      description: 'sequential scans needed before a table is judged',
    },
    minSeqScanPercent: {
      type: 'number',
      default: 50,
      min: 0,
      description: 'share of scans that are sequential from which a table is reported',
    },
    mediumBytes: {
      type: 'number',
      default: 1024 ** 3,
      min: 0,
      description: 'table size from which severity is medium (accepts 1GB)',
    },
    highBytes: {
      type: 'number',
      default: 50 * 1024 ** 3,
      min: 0,
      description: 'table size from which severity is high',
    },
    maxFindings: { type: 'number', default: 20, min: 1, description: 'tables reported at most' },
  },
  tableNeed: (o) => ({ minBytes: o.minBytes, minSeqScans: o.minSeqScans }),
  async run(ctx, o) {
    const tables = await candidateTables(ctx, 'seq-scan-heavy-table');
    return tables
      .filter((t) => t.relkind !== 'p' && t.tableBytes >= o.minBytes && t.seqScan >= o.minSeqScans)
      .map((t) => ({ t, seqPercent: percent(t.seqScan, t.seqScan + t.idxScan) }))
      .filter(({ seqPercent }) => seqPercent >= o.minSeqScanPercent)
      .sort((a, b) => b.t.seqTupRead - a.t.seqTupRead)
      .slice(0, o.maxFindings)
      .map(({ t, seqPercent }) => {
        const rowsPerScan = t.seqTupRead / Math.max(t.seqScan, 1);
        const severity = climb(t.tableBytes, { low: 0, medium: o.mediumBytes, high: o.highBytes }) ?? 'low';
        return makeFinding({
          ruleId: 'seq-scan-heavy-table',
          category: 'index',
          severity,
          title: `${qualifiedName(t.schema, t.name)} (${formatBytes(t.tableBytes)}) is read by sequential scans ${seqPercent}% of the time`,
          summary:
            'Queries read this large table sequentially instead of through an index, reading about the whole table each time. Find the statements (pg_stat_statements, most shared blocks read) and index their filters.',
          evidence: {
            table: `${t.schema}.${t.name}`,
            tableBytes: t.tableBytes,
            rows: t.reltuples,
            seqScans: t.seqScan,
            indexScans: t.idxScan,
            seqScanPercent: seqPercent,
            rowsReadBySeqScans: t.seqTupRead,
            rowsPerSeqScan: Math.round(rowsPerScan),
          },
          remediation: {
            steps: [
              `Find statements filtering ${t.name} without an index: run \`dbsage advise\` on the workload, or look for Seq Scan on ${t.name} in EXPLAIN output.`,
              `Rows read per scan: ${formatCount(rowsPerScan)}.`,
            ],
          },
          object: `table ${t.schema}.${t.name}`,
          identity: [t.schema, t.name],
        });
      });
  },
});
