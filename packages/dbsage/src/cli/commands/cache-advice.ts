import { detectCapabilities } from '../../engines/postgres/capabilities.js';
import { CapabilityError, UsageError } from '../../errors.js';
import { adviseCaching, deltaOf, readWriteRates } from '../../query/cache/cache-advice.js';
import { loadParser } from '../../sql/parser.js';
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

interface CacheFlags extends OutputFlags, TargetFlags {
  minCalls?: string;
  minMeanMs?: string;
  minReadsPerWrite?: string;
  maxTtl?: string;
  sample?: string;
}

const opt = (v: string | undefined, flag: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a non-negative number, got "${v}"`);
  return n;
};

/**
 * `dbsage cache-advice [target]`: which statement shapes are worth caching (frequent, costly, on rarely written
 * tables) from pg_stat_statements and the tables' write counters, with a TTL, a key scheme and the tables whose
 * writes must invalidate each.
 */
export const command: CommandModule = {
  name: 'cache-advice',
  order: 50,
  register(program, ctx) {
    addOutputOptions(
      addTargetOptions(
        program
          .command('cache-advice')
          .description('which queries to cache, with TTL, key scheme and invalidating tables (pg_stat_statements)')
          .argument('[target]', 'postgres:// URL (default: DATABASE_URL or PG* environment)')
          .option('--min-calls <n>', 'calls from which a statement is considered (default 50)')
          .option('--min-mean-ms <ms>', 'mean time from which caching pays (default 1)')
          .option('--min-reads-per-write <n>', 'calls per write of the tables read (default 10)')
          .option('--max-ttl <s>', 'longest TTL suggested (default 3600)')
          .option('--sample <seconds>', 'measure calls and writes over this window instead of the cumulative counters'),
      ),
    ).action(async (target: string | undefined, flags: CacheFlags) => {
      await loadParser();
      const result = await withClient(target, flags, async (client) => {
        const capabilities = await client.transaction((tx) => detectCapabilities(tx));
        if (!capabilities.hasPgStatStatements)
          throw new CapabilityError(
            'cache-advice reads pg_stat_statements: add it to shared_preload_libraries, restart, and CREATE EXTENSION pg_stat_statements',
          );
        let workload = await readPgStatStatements(client, { capabilities });
        let rates = await client.transaction((tx) => readWriteRates(tx));
        const sample = opt(flags.sample, '--sample');
        if (sample !== undefined && sample > 0) {
          const started = performance.now();
          await new Promise((r) => setTimeout(r, sample * 1000));
          const after = {
            statements: (await readPgStatStatements(client, { capabilities })).statements,
            rates: await client.transaction((tx) => readWriteRates(tx)),
          };
          const d = deltaOf({ statements: workload.statements, rates }, after, (performance.now() - started) / 1000);
          workload = { ...workload, statements: d.statements };
          rates = d.rates;
        }
        const o = {
          minCalls: opt(flags.minCalls, '--min-calls'),
          minMeanMillis: opt(flags.minMeanMs, '--min-mean-ms'),
          minReadsPerWrite: opt(flags.minReadsPerWrite, '--min-reads-per-write'),
          maxTtlSeconds: opt(flags.maxTtl, '--max-ttl'),
        };
        const findings = adviseCaching(
          workload.statements,
          rates,
          Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
        );
        return {
          findings,
          description: client.description,
          window: rates.windowSeconds,
          shapes: workload.statements.length,
        };
      });
      ctx.setExitCode(
        emitReport(
          {
            title: 'dbsage cache-advice',
            target: result.description,
            findings: result.findings,
            notes: [
              `${result.shapes} statement shapes; calls and table writes over ${Math.round(result.window)} s${flags.sample ? ' (sampled window)' : ' (cumulative counters: bulk loads count as writes; --sample S measures a window)'}`,
            ],
          },
          flags,
          ctx.io,
        ),
      );
    });
  },
};
