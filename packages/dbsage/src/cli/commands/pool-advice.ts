import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, UsageError } from '../../errors.js';
import type { PoolStats } from '../../query/instrument/pool-stats.js';
import { advisePoolSize, readConnectionBudget } from '../../query/pool/pool-advice.js';
import type { CommandModule } from '../command.js';
import {
  addOutputOptions,
  addTargetOptions,
  emitReport,
  type OutputFlags,
  type TargetFlags,
  withClient,
} from '../shared.js';

interface PoolFlags extends OutputFlags, TargetFlags {
  instances: string;
  stats?: string;
  peakActive?: string;
  application?: string;
  dbCores?: string;
  headroom?: string;
}

const positive = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a non-negative number, got "${v}"`);
  return n;
};

/**
 * `dbsage pool-advice [target] --instances N [--stats FILE]`: a pool size per application instance from the
 * server's max_connections, the instance count and the concurrency `instrument(pool)` measured, with the
 * arithmetic spelled out.
 */
export const command: CommandModule = {
  name: 'pool-advice',
  order: 45,
  register(program, ctx) {
    addOutputOptions(
      addTargetOptions(
        program
          .command('pool-advice')
          .description('suggest a connection pool size per app instance from max_connections and measured concurrency')
          .argument('[target]', 'postgres:// URL (default: DATABASE_URL or PG* environment)')
          .requiredOption('--instances <n>', 'application instances (processes, pods) each with its own pool')
          .option('--stats <file>', 'JSON of instrument(pool).stats() from one instance under load')
          .option('--peak-active <n>', 'peak active connections per instance, when measured otherwise')
          .option(
            '--application <name>',
            "application_name of the app's connections (counted apart from other clients)",
          )
          .option('--db-cores <n>', 'CPU cores of the database server (adds the cores × 2 + 1 ceiling)')
          .option('--headroom <share>', 'share of max_connections kept free (default 0.1)'),
      ),
    ).action(async (target: string | undefined, flags: PoolFlags) => {
      const instances = positive(flags.instances, '--instances')!;
      if (instances < 1) throw new UsageError('--instances must be at least 1');
      let stats: PoolStats | undefined;
      if (flags.stats) {
        try {
          stats = JSON.parse(readFileSync(resolve(ctx.io.cwd, flags.stats), 'utf8')) as PoolStats;
        } catch (error) {
          throw new InputError(
            `cannot read pool stats from ${flags.stats}: expected the JSON of instrument(pool).stats()`,
            { cause: error },
          );
        }
      }
      const advice = await withClient(target, flags, async (client) => {
        const server = await client.transaction((tx) => readConnectionBudget(tx, flags.application));
        const peak = positive(flags.peakActive, '--peak-active');
        const cores = positive(flags.dbCores, '--db-cores');
        const headroom = positive(flags.headroom, '--headroom');
        return {
          description: client.description,
          result: advisePoolSize({
            server,
            instances,
            ...(stats ? { stats } : {}),
            ...(peak !== undefined ? { peakActive: peak } : {}),
            ...(cores !== undefined ? { dbCores: cores } : {}),
            ...(headroom !== undefined ? { headroomShare: headroom } : {}),
          }),
        };
      });
      ctx.setExitCode(
        emitReport(
          {
            title: 'dbsage pool-advice',
            target: advice.description,
            findings: [advice.result.finding],
            notes: advice.result.arithmetic,
          },
          flags,
          ctx.io,
        ),
      );
    });
  },
};
