import { resolve } from 'node:path';
import type { PgClient } from '../../engines/postgres/client.js';
import { UsageError } from '../../errors.js';
import { loadParser } from '../../sql/parser.js';
import { loadWorkload, workloadSpecKind } from '../../workload/load.js';
import type { Workload } from '../../workload/types.js';
import type { CommandModule } from '../command.js';
import { addTargetOptions, type TargetFlags, withClient } from '../shared.js';

interface WorkloadFlags extends TargetFlags {
  source: string;
  format: string;
  top: string;
  logLinePrefix?: string;
}

function table(w: Workload, top: number): string {
  const rows = [...w.statements]
    .sort((a, b) => b.totalTimeMillis - a.totalTimeMillis || b.calls - a.calls)
    .slice(0, top);
  const total = w.statements.reduce((a, s) => a + s.totalTimeMillis, 0) || 1;
  const out = [
    `workload from ${w.source}: ${w.statements.length} statement shapes, ${w.read} entries read`,
    '',
    `${'calls'.padStart(10)} ${'total ms'.padStart(12)} ${'mean ms'.padStart(10)} ${'share'.padStart(6)}  statement`,
  ];
  for (const s of rows) {
    const text = s.query.replace(/\s+/g, ' ');
    out.push(
      `${String(s.calls).padStart(10)} ${s.totalTimeMillis.toFixed(1).padStart(12)} ${s.meanTimeMillis.toFixed(2).padStart(10)} ${`${((100 * s.totalTimeMillis) / total).toFixed(1)}%`.padStart(6)}  ${text.length > 100 ? `${text.slice(0, 97)}...` : text}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/**
 * `dbsage workload --source pgss|FILE.sql|FILE.log [target]`: reads a workload the way the advisor and the N+1
 * detector do and shows it. Unreadable log lines are counted and reported, never fatal; a syntax error in a .sql
 * workload is reported as file:line:col (exit 2) and the good statements are still used.
 */
export const command: CommandModule = {
  name: 'workload',
  order: 70,
  register(program, ctx) {
    addTargetOptions(
      program
        .command('workload')
        .description(
          'read a workload (pg_stat_statements, a .sql file or a server log) and show its statements by weight',
        )
        .argument('[target]', 'postgres:// URL, for --source pgss')
        .option(
          '--source <source>',
          'pgss, a .sql file (-- weight: N), or a PostgreSQL log (stderr, csvlog, jsonlog)',
          'pgss',
        )
        .option('--format <format>', 'tty or json', 'tty')
        .option('--top <n>', 'statements to show', '20')
        .option('--log-line-prefix <prefix>', "the server's log_line_prefix, for exact session fields"),
    ).action(async (target: string | undefined, flags: WorkloadFlags) => {
      if (flags.format !== 'tty' && flags.format !== 'json') throw new UsageError('--format takes tty or json');
      await loadParser();
      const kind = workloadSpecKind(flags.source);
      const read = (client?: PgClient) =>
        // Paths are shown as given (file:line:col in messages), resolved against the CLI's working directory.
        loadWorkload(
          kind === 'pg_stat_statements' || ctx.io.cwd === process.cwd()
            ? flags.source
            : resolve(ctx.io.cwd, flags.source),
          client,
          {
            ...(flags.logLinePrefix ? { logLinePrefix: flags.logLinePrefix } : {}),
          },
        );
      const workload = kind === 'pg_stat_statements' ? await withClient(target, flags, read) : await read();
      ctx.io.stdout(
        flags.format === 'json' ? `${JSON.stringify(workload, null, 2)}\n` : table(workload, Number(flags.top) || 20),
      );
      if (kind === 'log' && workload.skipped.count > 0) {
        ctx.io.stderr(
          `dbsage: skipped ${workload.skipped.count} unreadable entries (e.g. ${JSON.stringify(workload.skipped.samples[0] ?? '')}); the rest of the workload was used\n`,
        );
      }
      for (const e of workload.errors ?? []) ctx.io.stderr(`dbsage: ${e.message}\n`);
      if ((workload.errors ?? []).length > 0) ctx.setExitCode(2);
    });
  },
};
