import { qualifiedName } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { candidateTables, settings, tableTotals } from '../sources.js';
import { formatBytes, percent, settingBytes } from '../units.js';

/**
 * `cache-hit-rate`: the share of table and index block reads served from shared_buffers, overall and for each
 * large table. Misses may still hit the OS cache, so this is a lower bound on memory hits; a sustained low rate
 * on the hot tables means the working set does not fit.
 */
export const cacheHitRate = defineCheck({
  id: 'cache-hit-rate',
  category: 'health',
  watchRefresh: 'counters',
  description: 'Table and index cache hit rates, overall and per large table',
  options: {
    minHitPercent: {
      type: 'number',
      default: 99,
      min: 0,
      description: 'hit rate below which a finding is raised (low)',
    },
    mediumHitPercent: { type: 'number', default: 95, min: 0, description: 'hit rate below which severity is medium' },
    highHitPercent: { type: 'number', default: 80, min: 0, description: 'hit rate below which severity is high' },
    minBlocks: {
      type: 'number',
      default: 10_000,
      min: 0,
      description: 'block accesses needed before a rate is judged',
    },
    largeTableBytes: {
      type: 'number',
      default: 100 * 1024 * 1024,
      min: 0,
      description: 'tables from this size get their own finding (accepts 100MB)',
    },
    maxTables: { type: 'number', default: 10, min: 0, description: 'per-table findings at most' },
  },
  tableNeed: (o) => ({ minBytes: o.largeTableBytes }),
  async run(ctx, o) {
    const totals = await tableTotals(ctx);
    const s = await settings(ctx);
    const sb = s.get('shared_buffers');
    const sharedBuffersBytes = settingBytes(sb?.setting, sb?.unit) ?? null;
    const miss = (hit: number) =>
      climb(100 - hit, { low: 100 - o.minHitPercent, medium: 100 - o.mediumHitPercent, high: 100 - o.highHitPercent });
    const findings: Finding[] = [];
    const heapHit = totals.heapBlksHit;
    const heapRead = totals.heapBlksRead;
    const idxHit = totals.idxBlksHit;
    const idxRead = totals.idxBlksRead;
    for (const [kind, hit, read] of [
      ['table', heapHit, heapRead],
      ['index', idxHit, idxRead],
    ] as const) {
      if (hit + read < o.minBlocks) continue;
      const rate = percent(hit, hit + read);
      const severity = rate < o.minHitPercent ? miss(rate) : undefined;
      if (!severity) continue;
      findings.push(
        makeFinding({
          ruleId: 'cache-hit-rate',
          category: 'health',
          severity,
          title: `${kind === 'table' ? 'Table' : 'Index'} cache hit rate is ${rate}% (threshold ${o.minHitPercent}%)`,
          summary:
            'A share of block reads miss shared_buffers and go to the operating system or disk. If it persists, the working set does not fit: look at the tables below, missing indexes causing scans, or a larger shared_buffers.',
          evidence: {
            scope: `${kind}s, whole database`,
            hitPercent: rate,
            blocksHit: hit,
            blocksRead: read,
            sharedBuffersBytes,
            thresholdPercent: o.minHitPercent,
          },
          remediation: {
            steps: [
              'Find what reads the most blocks from disk (pg_stat_statements shared_blks_read) and whether an index would avoid it.',
              'If the hot data is simply larger than memory, raise shared_buffers (restart) or add RAM; see `dbsage tune`.',
            ],
          },
          object: `database ${kind}s`,
          identity: ['overall', kind],
        }),
      );
    }
    const large = (await candidateTables(ctx, 'cache-hit-rate'))
      .filter((t) => t.tableBytes >= o.largeTableBytes && t.heapBlksHit + t.heapBlksRead >= o.minBlocks)
      .map((t) => ({ t, rate: percent(t.heapBlksHit, t.heapBlksHit + t.heapBlksRead) }))
      .filter(({ rate }) => rate < o.minHitPercent)
      .sort((a, b) => b.t.heapBlksRead - a.t.heapBlksRead)
      .slice(0, o.maxTables);
    for (const { t, rate } of large) {
      const severity = miss(rate);
      if (!severity) continue;
      const idxTotal = t.idxBlksHit + t.idxBlksRead;
      findings.push(
        makeFinding({
          ruleId: 'cache-hit-rate',
          category: 'health',
          severity,
          title: `${qualifiedName(t.schema, t.name)}: cache hit rate ${rate}% (${formatBytes(t.tableBytes)})`,
          summary:
            'Reads of this large table often miss shared_buffers. Sequential scans of it (see seq-scan-heavy-table) or a working set larger than memory are the usual causes.',
          evidence: {
            table: `${t.schema}.${t.name}`,
            tableBytes: t.tableBytes,
            heapHitPercent: rate,
            heapBlocksHit: t.heapBlksHit,
            heapBlocksRead: t.heapBlksRead,
            indexHitPercent: idxTotal ? percent(t.idxBlksHit, idxTotal) : null,
            seqScans: t.seqScan,
            indexScans: t.idxScan,
            sharedBuffersBytes,
          },
          remediation: {
            steps: [
              'If it is scanned sequentially, find the statements doing it and index them.',
              'Otherwise the table is larger than the memory it gets: consider partitioning, archiving cold rows, or more memory.',
            ],
          },
          object: `table ${t.schema}.${t.name}`,
          identity: [t.schema, t.name],
        }),
      );
    }
    return findings;
  },
});
