import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { databaseStats, settings } from '../sources.js';
import { formatBytes, round, settingBytes } from '../units.js';

/**
 * `work-mem-spills`: work_mem still at its built-in default (4 MB) while many sorts and hashes spill to temporary
 * files in this database. The default suits a tiny server; the per-statement view is temp-file-spill.
 */
export const workMemSpills = defineCheck({
  id: 'work-mem-spills',
  category: 'config',
  description: 'Default work_mem while many sorts/hashes spill to temp files',
  options: {
    minTempFiles: {
      type: 'number',
      default: 1000,
      min: 0,
      description: 'temporary files (in the window) from which it is reported (low)',
    },
    mediumTempFiles: {
      type: 'number',
      default: 100_000,
      min: 0,
      description: 'temporary files from which severity is medium',
    },
  },
  async run(ctx, o) {
    const s = await settings(ctx);
    const wm = s.get('work_mem');
    if (!wm || wm.setting !== wm.bootValue) return [];
    const db = await databaseStats(ctx);
    const severity = climb(db.tempFiles, { low: o.minTempFiles, medium: o.mediumTempFiles });
    if (!severity) return [];
    const workMemBytes = settingBytes(wm.setting, wm.unit) ?? 4 * 1024 * 1024;
    return [
      makeFinding({
        ruleId: 'work-mem-spills',
        category: 'config',
        severity,
        title: `work_mem is the default ${formatBytes(workMemBytes)} and ${db.tempFiles} temp files were written in ${db.database}`,
        summary:
          'Sorts and hashes larger than work_mem spill to disk, and the built-in default is sized for a very small server. Raise it with care: it applies per sort or hash node, per connection.',
        evidence: {
          workMemBytes,
          source: wm.source,
          tempFiles: db.tempFiles,
          tempBytes: db.tempBytes,
          averageTempFileBytes: db.tempFiles ? round(db.tempBytes / db.tempFiles, 0) : 0,
          window: db.isWindow
            ? 'since snapshot'
            : db.statsReset
              ? `since stats reset ${db.statsReset}`
              : 'since statistics began',
        },
        remediation: {
          steps: [
            '`dbsage tune --ram … --workload …` computes a work_mem for the machine and connection count.',
            "For a few heavy reports, raise it only for their role: ALTER ROLE reporting SET work_mem = '64MB';",
          ],
        },
        object: `database ${db.database}`,
        identity: [db.database],
      }),
    ];
  },
});
