import { Option } from 'commander';
import { readCatalog } from '../../catalog/introspect.js';
import { UsageError } from '../../errors.js';
import {
  findNPlusOneFromStatements,
  findNPlusOneInStreams,
  statsFromWorkload,
  streamsFromLogSessions,
} from '../../query/n-plus-one/find-n-plus-one.js';
import { loadParser } from '../../sql/parser.js';
import { loadLogSessions } from '../../workload/log.js';
import { readPgStatStatements } from '../../workload/pg-stat-statements.js';
import type { CommandModule } from '../command.js';
import {
  addOutputOptions,
  addTargetOptions,
  emitReport,
  type OutputFlags,
  type TargetFlags,
  withClient,
} from '../shared.js';

interface NPlusOneFlags extends OutputFlags, TargetFlags {
  log?: string;
  groupBy?: 'session' | 'trace';
  minRepeats?: string;
  minTotalMs?: string;
  tolerance?: string;
  verify?: boolean;
}

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a non-negative number, got "${v}"`);
  return n;
};

/**
 * `dbsage n-plus-one [target]`: N+1 loops from pg_stat_statements (default) or from a server log with session
 * or trace ids (`--log FILE`), each with the rewrite written from the real statements and checked on the target.
 */
export const command: CommandModule = {
  name: 'n-plus-one',
  order: 40,
  register(program, ctx) {
    addOutputOptions(
      addTargetOptions(
        program
          .command('n-plus-one')
          .description(
            'find N+1 query loops (pg_stat_statements or a log) and write the rewrite, checked on the target',
          )
          .argument('[target]', 'postgres:// URL (default: DATABASE_URL or PG* environment)')
          .option('--log <file>', 'read a PostgreSQL log (stderr, csvlog, jsonlog) with session or trace ids instead')
          .addOption(
            new Option('--group-by <key>', 'log streams per backend session or per trace id')
              .choices(['session', 'trace'])
              .default('session'),
          )
          .option('--min-repeats <n>', 'same-shape queries after one parent from which it is an N+1 (default 5)')
          .option('--min-total-ms <ms>', 'their total time from which it is reported (default 50)')
          .option('--tolerance <f>', 'pg_stat_statements: |child calls ÷ parent rows − 1| at most (default 0.5)')
          .option('--no-verify', 'with --log: do not connect to check the rewrite (no target needed)'),
      ),
    ).action(async (target: string | undefined, flags: NPlusOneFlags) => {
      await loadParser();
      const rule = {
        ...(flags.minRepeats !== undefined ? { minRepeats: num(flags.minRepeats, '--min-repeats')! } : {}),
        ...(flags.minTotalMs !== undefined ? { minTotalMillis: num(flags.minTotalMs, '--min-total-ms')! } : {}),
      };
      if (flags.log && flags.verify === false) {
        const { sessions } = await loadLogSessions(flags.log, { groupBy: flags.groupBy ?? 'session' });
        const findings = await findNPlusOneInStreams(streamsFromLogSessions(sessions), 'log', {}, rule);
        ctx.setExitCode(
          emitReport(
            {
              title: 'dbsage n-plus-one',
              target: flags.log,
              findings,
              notes: ['rewrites parsed but not planned (--no-verify)'],
            },
            flags,
            ctx.io,
          ),
        );
        return;
      }
      const report = await withClient(target, flags, async (client) => {
        const catalog = await client.transaction((tx) => readCatalog(tx, { stats: false }), {
          statementTimeoutMillis: 60_000,
        });
        if (flags.log) {
          const { sessions } = await loadLogSessions(flags.log, { groupBy: flags.groupBy ?? 'session' });
          const findings = await findNPlusOneInStreams(
            streamsFromLogSessions(sessions),
            'log',
            { client, catalog },
            rule,
          );
          return {
            title: 'dbsage n-plus-one',
            target: `${flags.log} (checked on ${client.description})`,
            findings,
            notes: [`${sessions.size} ${flags.groupBy === 'trace' ? 'traces' : 'sessions'} read`],
          };
        }
        const workload = await readPgStatStatements(client);
        const tolerance = num(flags.tolerance, '--tolerance');
        const findings = await findNPlusOneFromStatements(
          statsFromWorkload(workload),
          { client, catalog },
          tolerance === undefined ? {} : { tolerance },
        );
        return {
          title: 'dbsage n-plus-one',
          target: client.description,
          findings,
          notes: [`${workload.statements.length} statement shapes from pg_stat_statements`],
        };
      });
      ctx.setExitCode(emitReport(report, flags, ctx.io));
    });
  },
};
