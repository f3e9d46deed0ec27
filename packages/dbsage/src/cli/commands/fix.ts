import { createInterface } from 'node:readline/promises';
import { collect, parseCheckOptions } from '../../doctor/cli-options.js';
import { applyFix, cleanupHint, planFix, SAFE_FIX_STATEMENTS } from '../../doctor/fix.js';
import { UsageError } from '../../errors.js';
import type { CommandModule } from '../command.js';
import type { CliIO } from '../io.js';
import { addTargetOptions, type TargetFlags, withClient } from '../shared.js';

interface FixFlags extends TargetFlags {
  yes?: boolean;
  option: string[];
  format?: string;
}

/** Asks on the terminal; false when stdin is not a terminal (then --yes is required). */
async function confirm(io: CliIO, question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(question);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
    void io;
  }
}

/**
 * `dbsage fix <fingerprint> [target]`: re-checks the finding, prints its SQL, asks (or takes --yes), and runs it
 * statement by statement with lock_timeout on a pinned session (CONCURRENTLY cannot run in a transaction block).
 */
export const command: CommandModule = {
  name: 'fix',
  order: 11,
  register(program, ctx) {
    const cmd = program
      .command('fix')
      .description(
        `apply a doctor finding's remediation after confirmation (runs only: ${SAFE_FIX_STATEMENTS.join('; ')})`,
      )
      .argument('<fingerprint>', 'the finding fingerprint from dbsage doctor (e.g. exact-duplicate-index:1a2b…)')
      .argument('[target]', 'postgres:// URL (default: DATABASE_URL or PG* environment)')
      .option('--yes', 'apply without asking (required when stdin is not a terminal)')
      .option(
        '--option <check.name=value>',
        'the check thresholds the finding was found with (repeatable)',
        collect,
        [],
      )
      .option('--format <format>', 'tty or json', 'tty');
    addTargetOptions(cmd).action(async (fingerprint: string, target: string | undefined, flags: FixFlags) => {
      if (flags.format !== 'tty' && flags.format !== 'json') throw new UsageError('--format takes tty or json');
      const options = parseCheckOptions(flags.option ?? []);
      const lockTimeoutMillis = flags.lockTimeout === undefined ? 3000 : Number(flags.lockTimeout);
      const statementTimeoutMillis = flags.statementTimeout === undefined ? 0 : Number(flags.statementTimeout);
      await withClient(target, { embedded: flags.embedded }, async (client) => {
        const plan = await planFix(client, fingerprint, { options });
        const io = ctx.io;
        const json = flags.format === 'json';
        if (!json) {
          io.stdout(`${plan.finding.severity}: ${plan.finding.title}\n\n`);
          for (const s of plan.statements)
            io.stdout(`${s.sql};${s.allowed ? '' : `   -- not run by dbsage: ${s.reason}`}\n`);
          io.stdout('\n');
        }
        if (!plan.applicable) {
          if (json) io.stdout(`${JSON.stringify({ fingerprint, applied: false, plan }, null, 2)}\n`);
          throw new UsageError(
            'this remediation is not among the statements dbsage fix runs: review it and run it yourself',
          );
        }
        const approved =
          flags.yes ||
          (await confirm(
            io,
            `Run ${plan.statements.length} statement(s) on ${client.description} with lock_timeout ${lockTimeoutMillis} ms? [y/N] `,
          ));
        if (!approved) {
          if (json) io.stdout(`${JSON.stringify({ fingerprint, applied: false, plan }, null, 2)}\n`);
          throw new UsageError(
            process.stdin.isTTY ? 'not applied' : 'not applied: stdin is not a terminal, pass --yes to apply',
          );
        }
        const results = await applyFix(client, plan, { lockTimeoutMillis, statementTimeoutMillis });
        const failed = results.find((r) => !r.ok);
        if (json) {
          io.stdout(`${JSON.stringify({ fingerprint, applied: !failed, plan, results }, null, 2)}\n`);
        } else {
          for (const r of results) {
            io.stdout(
              `${r.ok ? 'ok' : 'FAILED'} (${Math.round(r.millis)} ms): ${r.sql}${r.error ? `\n  ${r.error}` : ''}\n`,
            );
          }
        }
        if (failed) {
          const stmt = plan.statements.find((s) => s.sql === failed.sql);
          const hint = stmt ? cleanupHint(stmt) : undefined;
          if (hint) io.stderr(`${hint}\n`);
          ctx.setExitCode(1);
        }
      });
    });
  },
};
