import { resolve } from 'node:path';
import { DOCTOR_CHECKS } from '../../doctor/all-checks.js';
import { collect, idList, parseCheckOptions } from '../../doctor/cli-options.js';
import { runDoctor } from '../../doctor/runner.js';
import { createDoctor } from '../../doctor/session.js';
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
  watch?: string;
  watchRuns?: string;
  watchEveryCheck?: boolean;
}

/** `--watch 5s`, `--watch 30`, `--watch 2m`, `--watch 1500ms` → milliseconds (at least 1 s). */
export function parseWatchInterval(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m?.[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const millis = m ? Number(m[1]) * factor : Number.NaN;
  if (!Number.isFinite(millis) || millis < 1000) {
    throw new UsageError(`--watch takes an interval of at least 1s (e.g. 5s, 30, 2m), got "${text}"`);
  }
  return millis;
}

/** Lists every check with its category, watch cadence, options and defaults (`dbsage doctor --list`). */
export function listChecks(): string {
  const lines: string[] = [];
  for (const c of DOCTOR_CHECKS) {
    lines.push(`${c.id}  [${c.category}, --watch: ${c.watchRefresh}]  ${c.description}`);
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
      .option(
        '--watch <interval>',
        'stay connected and re-run every interval (5s, 30, 2m): activity checks every time, per-table counters at most every 60 s, estimates and settings every 5 min, catalog checks when the catalog changes',
      )
      .option('--watch-runs <n>', 'with --watch: stop after n runs (default: until interrupted)')
      .option('--watch-every-check', 'with --watch: run every check on every run (no cadence)')
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
      if (flags.watchEveryCheck && flags.watch === undefined && flags.watchRuns === undefined) {
        throw new UsageError('--watch-every-check needs --watch');
      }
      if (flags.watch !== undefined || flags.watchRuns !== undefined) {
        if (flags.snapshot) throw new UsageError('--snapshot cannot be combined with --watch');
        const intervalMillis = parseWatchInterval(flags.watch ?? '');
        const maxRuns = flags.watchRuns === undefined ? Number.POSITIVE_INFINITY : Number(flags.watchRuns);
        if (!Number.isInteger(maxRuns) && maxRuns !== Number.POSITIVE_INFINITY) {
          throw new UsageError('--watch-runs takes a whole number of runs');
        }
        if (maxRuns < 1) throw new UsageError('--watch-runs takes a whole number of runs');
        await withClient(target, flags, async (client) => {
          const doctor = createDoctor({
            client,
            options,
            ...(idList(flags.check) ? { only: idList(flags.check)! } : {}),
            ...(idList(flags.skip) ? { skip: idList(flags.skip)! } : {}),
            ...(checkTimeoutMillis ? { checkTimeoutMillis } : {}),
            ...(flags.watchEveryCheck ? { everyCheckEveryRun: true } : {}),
          });
          // Ctrl-C (or SIGTERM from a supervisor) ends the wait, and the loop after the run in progress.
          const stop = new AbortController();
          const onSignal = () => stop.abort();
          process.once('SIGINT', onSignal);
          process.once('SIGTERM', onSignal);
          try {
            for (let run = 1; run <= maxRuns && !stop.signal.aborted; run++) {
              const started = Date.now();
              const result = await doctor.run(since ? { since } : {});
              if (!flags.quiet) {
                ctx.io.stderr(
                  `dbsage doctor --watch: run ${run} at ${new Date(started).toISOString()}, ${Date.now() - started} ms\n`,
                );
              }
              ctx.setExitCode(
                emitReport(
                  {
                    title: 'dbsage doctor',
                    target: client.description,
                    findings: result.findings,
                    outcomes: result.outcomes,
                    notes: result.notes,
                  },
                  flags,
                  ctx.io,
                ),
              );
              if (run >= maxRuns) break;
              const wait = Math.max(0, started + intervalMillis - Date.now());
              await new Promise<void>((done) => {
                const finish = () => {
                  clearTimeout(timer);
                  stop.signal.removeEventListener('abort', finish);
                  done();
                };
                const timer = setTimeout(finish, wait);
                stop.signal.addEventListener('abort', finish);
              });
            }
          } finally {
            process.off('SIGINT', onSignal);
            process.off('SIGTERM', onSignal);
          }
        });
        return;
      }
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
