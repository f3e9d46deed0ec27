import { settings } from '../../doctor/sources.js';
import {
  diffSettings,
  isStorage,
  isWorkload,
  parseRam,
  recommendSettings,
  type SettingDiff,
  STORAGES,
  WORKLOADS,
} from '../../doctor/tune.js';
import { UsageError } from '../../errors.js';
import { createAnalyzerContext } from '../../findings/context.js';
import type { Finding } from '../../findings/finding.js';
import { findingFingerprint } from '../../findings/fingerprint.js';
import type { CommandModule } from '../command.js';
import {
  addOutputOptions,
  addTargetOptions,
  emitReport,
  type OutputFlags,
  type TargetFlags,
  withClient,
} from '../shared.js';

interface TuneFlags extends OutputFlags, TargetFlags {
  ram?: string;
  cpus?: string;
  storage: string;
  workload: string;
  connections?: string;
}

function toFinding(d: SettingDiff): Finding {
  return {
    ruleId: 'tune',
    category: 'config',
    severity: d.current === null ? 'info' : 'low',
    title: d.current === null ? `${d.name} = ${d.value}` : `${d.name}: ${d.current} → ${d.value}`,
    summary: d.reason,
    evidence: { setting: d.name, current: d.current, recommended: d.value, restartRequired: d.restart },
    remediation: {
      sql: `ALTER SYSTEM SET ${d.name} = '${d.value}';`,
      steps: [d.restart ? 'Needs a restart.' : 'Takes effect after SELECT pg_reload_conf();'],
    },
    location: { object: `setting ${d.name}` },
    fingerprint: findingFingerprint('tune', d.name),
  };
}

/**
 * `dbsage tune --ram 16GB --cpus 4 --storage ssd --workload web [target]`: PGTune's recommendations, diffed
 * against the live pg_settings when a target is given (only the settings that differ are listed).
 */
export const command: CommandModule = {
  name: 'tune',
  order: 12,
  register(program, ctx) {
    const cmd = program
      .command('tune')
      .description(
        'recommended server settings for a machine and workload (PGTune rules), diffed against a live server',
      )
      .argument('[target]', 'postgres:// URL to diff against (omit to print the recommendations only)')
      .requiredOption('--ram <size>', 'memory of the server, e.g. 16GB')
      .option('--cpus <n>', 'CPU cores of the server')
      .option('--storage <kind>', `storage: ${STORAGES.join(', ')}`, 'ssd')
      .option('--workload <kind>', `workload: ${WORKLOADS.join(', ')}`, 'web')
      .option('--connections <n>', 'expected max_connections (default per workload)');
    addOutputOptions(addTargetOptions(cmd)).action(async (target: string | undefined, flags: TuneFlags) => {
      if (!isWorkload(flags.workload)) throw new UsageError(`--workload takes one of ${WORKLOADS.join(', ')}`);
      if (!isStorage(flags.storage)) throw new UsageError(`--storage takes one of ${STORAGES.join(', ')}`);
      const cpus = flags.cpus === undefined ? undefined : Number(flags.cpus);
      if (cpus !== undefined && !(Number.isInteger(cpus) && cpus > 0))
        throw new UsageError('--cpus takes a whole number');
      const connections = flags.connections === undefined ? undefined : Number(flags.connections);
      if (connections !== undefined && !(Number.isInteger(connections) && connections > 0)) {
        throw new UsageError('--connections takes a whole number');
      }
      const input = {
        ramBytes: parseRam(flags.ram ?? ''),
        storage: flags.storage,
        workload: flags.workload,
        ...(cpus === undefined ? {} : { cpus }),
        ...(connections === undefined ? {} : { connections }),
      };
      const useServer = target !== undefined || flags.embedded !== undefined || process.env.DATABASE_URL !== undefined;
      let diffs: SettingDiff[];
      let description: string | undefined;
      if (useServer) {
        const live = await withClient(target, flags, async (client) => {
          description = client.description;
          const major =
            Number(
              (await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]?.v,
            ) / 10000;
          const recs = recommendSettings({ ...input, majorVersion: Math.floor(major) });
          return diffSettings(recs, await settings(createAnalyzerContext({ client })));
        });
        diffs = live.filter((d) => d.changed);
      } else {
        diffs = recommendSettings(input).map((r) => ({ ...r, current: null, changed: true, restart: false }));
      }
      const code = emitReport(
        {
          title: 'dbsage tune',
          ...(description ? { target: description } : {}),
          findings: diffs.map(toFinding),
          notes: [
            `For ${flags.ram} RAM, ${cpus ?? '?'} CPUs, ${flags.storage}, ${flags.workload} workload (PGTune rules).${useServer ? ' Only settings that differ from the server are listed.' : ''}`,
          ],
        },
        flags,
        ctx.io,
      );
      ctx.setExitCode(code);
    });
  },
};
