import { resolve } from 'node:path';
import { DOCTOR_CHECKS } from '../../doctor/all-checks.js';
import { collect, idList, parseCheckOptions } from '../../doctor/cli-options.js';
import { runDoctor } from '../../doctor/runner.js';
import { readSnapshot, writeSnapshot } from '../../doctor/snapshot.js';
import { UsageError } from '../../errors.js';
import type { CommandModule } from '../command.js';
import { progress } from '../io.js';
import {
  addOutputOptions,
  addTargetOptions,
  emitReport,
  type OutputFlags,
  type TargetFlags,
  withClient,
} from '../shared.js';

interface DoctorFlags extends OutputFlags, TargetFlags {
  check?: string;
  skip?: string;
  option: string[];
  optionsFile?: string;
  storage?: string;
  snapshot?: string;
  since?: string;
  checkTimeout?: string;
  list?: boolean;
}

/** Lists every check with its options and defaults (`dbsage doctor --list`). */
export function listChecks(): string {
  const lines: string[] = [];
  for (const c of DOCTOR_CHECKS) {
    lines.push(`${c.id}  [${c.category}]  ${c.description}`);
    for (const [name, spec] of Object.entries(c.options)) {
      lines.push(`    ${c.id}.${name} = ${String(spec.default)}  ${spec.description}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** `dbsage doctor [target]`: health checks of a live PostgreSQL, with evidence, scaled severities and fixes. */
export const command: CommandModule = {
  name: 'doctor',
  order: 10,
  register(program, ctx) {
    const cmd = program
      .command('doctor')
      .description('health checks of a live PostgreSQL: queries, connections, indexes, vacuum, wraparound, config')
      .argument('[target]', 'postgres:// URL (default: DATABASE_URL or PG* environment)')
      .option('--check <ids>', 'run only these checks (comma-separated ids)')
      .option('--skip <ids>', 'leave these checks out (comma-separated ids)')
      .option(
        '--option <check.name=value>',
        'set a check threshold, e.g. slow-queries.minMeanMillis=50 (repeatable)',
        collect,
        [],
      )
      .option('--options-file <file>', 'JSON file of check options: { "check-id": { "option": value } }')
      .option('--storage <kind>', 'what the data directory is on: ssd or hdd (the server cannot tell)')
      .option('--snapshot <file>', 'also save the statistics counters to FILE, for a later --since')
      .option('--since <file>', 'report counters for the window since the --snapshot FILE (nothing is reset)')
      .option('--check-timeout <ms>', 'time limit of each check (default: 10000, 30000 for table-bloat)')
      .option('--list', 'list the checks and their options with defaults, and exit');
    addOutputOptions(addTargetOptions(cmd)).action(async (target: string | undefined, flags: DoctorFlags) => {
      if (flags.list) {
        ctx.io.stdout(listChecks());
        return;
      }
      const options = parseCheckOptions(
        flags.option ?? [],
        flags.optionsFile ? resolve(ctx.io.cwd, flags.optionsFile) : undefined,
      );
      if (flags.storage !== undefined) {
        if (!['ssd', 'hdd'].includes(flags.storage)) throw new UsageError('--storage takes ssd or hdd');
        options['random-page-cost'] = { ...(options['random-page-cost'] ?? {}), storage: flags.storage };
      }
      let checkTimeoutMillis: number | undefined;
      if (flags.checkTimeout !== undefined) {
        checkTimeoutMillis = Number(flags.checkTimeout);
        if (!Number.isFinite(checkTimeoutMillis) || checkTimeoutMillis <= 0)
          throw new UsageError('--check-timeout takes milliseconds');
      }
      const since = flags.since ? readSnapshot(resolve(ctx.io.cwd, flags.since)) : undefined;
      const bar = progress(ctx.io, Boolean(flags.quiet));
      const result = await withClient(target, flags, async (client) => {
        bar.update(`dbsage doctor: ${client.description}`);
        const r = await runDoctor({
          client,
          options,
          ...(idList(flags.check) ? { only: idList(flags.check)! } : {}),
          ...(idList(flags.skip) ? { skip: idList(flags.skip)! } : {}),
          ...(since ? { since } : {}),
          ...(checkTimeoutMillis ? { checkTimeoutMillis } : {}),
          takeSnapshot: Boolean(flags.snapshot),
          log: (m) => bar.update(m),
        });
        return { ...r, target: client.description };
      });
      bar.done();
      if (flags.snapshot && result.snapshot) {
        writeSnapshot(resolve(ctx.io.cwd, flags.snapshot), result.snapshot);
        if (!flags.quiet)
          ctx.io.stderr(`counters saved to ${flags.snapshot} (compare later with --since ${flags.snapshot})\n`);
      }
      const code = emitReport(
        {
          title: 'dbsage doctor',
          target: result.target,
          findings: result.findings,
          outcomes: result.outcomes,
          notes: result.notes,
        },
        flags,
        ctx.io,
      );
      ctx.setExitCode(code);
    });
  },
};
