import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { type AdvisorResult, adviseIndexes } from '../../advisor/indexes/advise.js';
import { applyRecommendations } from '../../advisor/indexes/apply.js';
import { extensionDdl } from '../../advisor/indexes/candidate.js';
import { advisorFindings } from '../../advisor/indexes/findings.js';
import { migrationSql } from '../../advisor/indexes/migration.js';
import { formatBytes, parseBudget, parseDuration } from '../../advisor/indexes/options.js';
import { type VerifyReport, verifyRecommendations } from '../../advisor/indexes/verify.js';
import { detectCapabilities } from '../../engines/postgres/capabilities.js';
import { UsageError } from '../../errors.js';
import { loadWorkload } from '../../workload/load.js';
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

interface IndexesFlags extends OutputFlags, TargetFlags {
  workload: string;
  budget?: string;
  maxWidth: string;
  writeAware?: boolean;
  timeLimit: string;
  verify?: boolean;
  apply?: boolean;
  yes?: boolean;
  scratch?: boolean;
  out?: string;
}

/** Notes for the report: engine, timings, the cumulative curve, verification. */
function notesOf(result: AdvisorResult, verify: VerifyReport | undefined): string[] {
  const notes = [
    `what-if engine: ${result.engine}; ${result.candidatesConsidered} candidates, ${result.whatIfCalls} what-if calls, ${(result.wallMillis / 1000).toFixed(1)} s${result.timedOut ? ' (time limit reached: best set so far)' : ''}`,
    `data size ${formatBytes(result.dataBytes)}; budget ${result.budgetBytes === null ? 'none' : formatBytes(result.budgetBytes)}; objective unit: ${result.unit === 'ms' ? 'workload time (calls × mean)' : 'planner cost (the workload has no timings)'}`,
    `cumulative workload cost: ${result.curve.map((p) => `${p.indexes} idx / ${formatBytes(p.bytes)} → ${(p.relativeCost * 100).toFixed(1)} %`).join('; ')}`,
  ];
  if (result.emptyReason) notes.push(`no index recommended: ${result.emptyReason}`);
  const below = result.recommendations.filter((r) => r.belowThreshold).map((r) => r.candidate.name);
  if (below.length) notes.push(`below the gain threshold, taken because the budget had room: ${below.join(', ')}`);
  if (result.requiredExtensions.length)
    notes.push(
      `the recommended indexes need ${result.requiredExtensions.join(', ')} (CREATE EXTENSION IF NOT EXISTS, included in the DDL)`,
    );
  for (const e of result.candidateErrors) notes.push(`candidate ${e.name} could not be costed: ${e.error}`);
  if (verify) {
    const ok = verify.indexes.filter((i) => i.confirmed).length;
    notes.push(
      `verify: ${ok}/${verify.indexes.length} recommendations confirmed by measured time (median of ${verify.runs} runs); ${verify.statements.filter((s) => s.regressed).length} statements slower by more than 2 %`,
    );
  }
  return notes;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/**
 * `dbsage indexes [target]`: workload-wide index advice with every index type, what-if costs, drop candidates
 * and a reason for each statement left alone; `--verify` measures, `--apply` builds, `--out` writes a migration.
 */
export const command: CommandModule = {
  name: 'indexes',
  order: 20,
  register(program, ctx) {
    const cmd = program
      .command('indexes')
      .description('recommend indexes for the whole workload (every index type), prove them, apply them safely')
      .argument('[target]', 'postgres:// URL (default: DATABASE_URL or PG* environment)')
      .option('--workload <source>', 'pgss (pg_stat_statements), a .sql file, or a PostgreSQL log', 'pgss')
      .option('--budget <size>', 'storage budget for new indexes: a share of the data size (20%) or a size (500MB)')
      .option('--max-width <n>', 'maximum key columns of a B-tree', '3')
      .option('--write-aware', 'add index maintenance on the workload’s writes; keep HOT updates')
      .option('--time-limit <duration>', 'time limit of the search (60s, 2m)', '60s')
      .option('--verify', 'build the indexes in a rolled-back transaction and measure (embedded, or --scratch)')
      .option('--scratch', 'the target is a scratch copy: allow real index builds for what-if and --verify')
      .option('--apply', 'build the recommended indexes now (CREATE INDEX CONCURRENTLY, one at a time)')
      .option('--yes', 'do not ask before --apply')
      .option('--out <file>', 'write the migration SQL to FILE');
    addOutputOptions(addTargetOptions(cmd)).action(async (target: string | undefined, flags: IndexesFlags) => {
      const maxWidth = Number(flags.maxWidth);
      if (!Number.isInteger(maxWidth) || maxWidth < 1 || maxWidth > 32) throw new UsageError('--max-width takes 1..32');
      const budget = flags.budget ? parseBudget(flags.budget) : undefined;
      const timeLimitMillis = parseDuration(flags.timeLimit);
      const bar = progress(ctx.io, Boolean(flags.quiet));
      const { result, verify, description, applied } = await withClient(target, flags, async (client) => {
        bar.update(`dbsage indexes: ${client.description}`);
        if (flags.apply && client.kind !== 'server') throw new UsageError('--apply builds indexes on a server target');
        const capabilities = await client.transaction((tx) => detectCapabilities(tx));
        bar.update(`reading workload (${flags.workload})`);
        const workload = await loadWorkload(flags.workload, client, { capabilities });
        if (workload.statements.length === 0) {
          throw new UsageError(`the workload ${flags.workload} has no statements to advise on`);
        }
        const result = await adviseIndexes(client, workload, {
          maxWidth,
          ...(budget ? { budget } : {}),
          writeAware: Boolean(flags.writeAware),
          timeLimitMillis,
          scratch: Boolean(flags.scratch),
          trigram:
            'pg_trgm' in capabilities.installedExtensions || capabilities.availableExtensions.includes('pg_trgm'),
          onProgress: (l, f) => bar.update(l, f),
        });
        const verify = flags.verify
          ? await verifyRecommendations(client, result, {
              scratch: Boolean(flags.scratch),
              onProgress: (l, f) => bar.update(l, f),
            })
          : undefined;
        let applied: string[] = [];
        if (flags.apply && result.recommendations.length > 0) {
          bar.done();
          ctx.io.stderr(
            `${[...result.requiredExtensions.map((e) => `${extensionDdl(e)};`), ...result.recommendations.map((r) => `${r.ddl};`)].join('\n')}\n`,
          );
          const ok = flags.yes || (await confirm(`build these ${result.recommendations.length} indexes now? [y/N] `));
          if (!ok) throw new UsageError('--apply: not confirmed (pass --yes to build without asking)');
          const ac = new AbortController();
          const onSigint = () => ac.abort();
          process.once('SIGINT', onSigint);
          try {
            const outcomes = await applyRecommendations(
              client,
              result.recommendations.map((r) => r.candidate),
              {
                signal: ac.signal,
                extensions: result.requiredExtensions,
                onProgress: (m, f) => bar.update(m, f),
                ...(flags.lockTimeout ? { lockTimeoutMillis: Number(flags.lockTimeout) } : {}),
              },
            );
            applied = outcomes.map(
              (o) =>
                `apply ${o.name}: ${o.status}${o.error ? ` (${o.error})` : ''}${o.droppedInvalid ? '; INVALID index dropped' : ''}${o.phases.length ? `; phases: ${o.phases.join(' → ')}` : ''}`,
            );
          } finally {
            process.off('SIGINT', onSigint);
          }
        }
        return { result, verify, description: client.description, applied };
      });
      bar.done();
      if (flags.out) {
        writeFileSync(resolve(ctx.io.cwd, flags.out), migrationSql(result));
        if (!flags.quiet) ctx.io.stderr(`migration written to ${flags.out}\n`);
      }
      ctx.setExitCode(
        emitReport(
          {
            title: 'dbsage indexes',
            target: description,
            findings: advisorFindings(result, verify),
            notes: [...notesOf(result, verify), ...applied],
          },
          flags,
          ctx.io,
        ),
      );
    });
  },
};
