import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { clip, settings, statements } from '../sources.js';
import { formatBytes, percent, round, settingBytes } from '../units.js';

/**
 * `temp-file-spill`: statements whose sorts and hashes spill to temporary files because they do not fit in
 * work_mem. Severity climbs with the spill per call as a multiple of work_mem: a statement spilling 100× work_mem
 * on every call needs a plan change, not just more memory.
 */
export const tempFileSpill = defineCheck({
  id: 'temp-file-spill',
  category: 'query',
  description: 'Statements writing temporary files (sorts/hashes larger than work_mem)',
  needs: ['client', 'pg_stat_statements'],
  options: {
    minTempBytes: {
      type: 'number',
      default: 64 * 1024 * 1024,
      min: 0,
      description: 'total temp bytes written by a statement from which it is reported (accepts 64MB)',
    },
    mediumWorkMemFactor: {
      type: 'number',
      default: 4,
      min: 0,
      description: 'temp bytes per call, as a multiple of work_mem, from which severity is medium',
    },
    highWorkMemFactor: {
      type: 'number',
      default: 64,
      min: 0,
      description: 'multiple of work_mem per call from which severity is high',
    },
    maxFindings: { type: 'number', default: 10, min: 1, description: 'statements reported at most' },
  },
  async run(ctx, o) {
    const all = await statements(ctx);
    const s = await settings(ctx);
    const blockSize = Number(s.get('block_size')?.setting ?? 8192);
    const wm = s.get('work_mem');
    const workMemBytes = settingBytes(wm?.setting, wm?.unit) ?? 4 * 1024 * 1024;
    const totalTemp = all.reduce((sum, x) => sum + x.tempBlksWritten * blockSize, 0);
    return all
      .map((x) => ({ x, bytes: x.tempBlksWritten * blockSize }))
      .filter(({ bytes }) => bytes > 0 && bytes >= o.minTempBytes)
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, o.maxFindings)
      .map(({ x, bytes }) => {
        const perCall = bytes / Math.max(x.calls, 1);
        const factor = perCall / workMemBytes;
        const severity = climb(factor, { low: 0, medium: o.mediumWorkMemFactor, high: o.highWorkMemFactor }) ?? 'low';
        return makeFinding({
          ruleId: 'temp-file-spill',
          category: 'query',
          severity,
          title: `Statement spilled ${formatBytes(bytes)} to temp files (${formatBytes(perCall)} per call, work_mem ${formatBytes(workMemBytes)})`,
          summary:
            'Sorts and hashes larger than work_mem are written to temporary files, which is far slower than memory. An index that provides the order, a narrower select list, or a per-role work_mem for this workload avoids the spill.',
          evidence: {
            queryId: x.queryId,
            user: x.user,
            query: clip(x.query),
            calls: x.calls,
            tempBytes: bytes,
            tempBytesPerCall: Math.round(perCall),
            workMemBytes,
            perCallAsWorkMemMultiple: round(factor, 1),
            sharePercentOfAllTemp: percent(bytes, totalTemp),
          },
          remediation: {
            steps: [
              'EXPLAIN (ANALYZE, BUFFERS) shows "Sort Method: external merge" or hash batches > 1 where it spills.',
              `If the spill is legitimate, raise work_mem for the role or session only, e.g. SET work_mem = '${formatBytes(Math.min(perCall * 2, 1024 ** 3)).replace(' ', '')}' — not globally.`,
            ],
          },
          object: `statement ${x.queryId}`,
          identity: [x.queryId, x.user ?? ''],
        });
      });
  },
});
