import { readCatalog } from '../../catalog/introspect.js';
import type { CommandModule } from '../command.js';
import { addTargetOptions, type TargetFlags, withClient } from '../shared.js';

/** `dbsage catalog [target]`: prints the catalog model as JSON (what every analyzer sees). */
export const command: CommandModule = {
  name: 'catalog',
  order: 90,
  register(program, ctx) {
    addTargetOptions(
      program
        .command('catalog')
        .description('print the catalog model (tables, columns, constraints, indexes, stats) as JSON')
        .argument('[target]', 'postgres:// URL (default: DATABASE_URL or PG* environment)')
        .option('--no-stats', 'leave out pg_stats'),
    ).action(async (target: string | undefined, flags: TargetFlags & { stats: boolean }) => {
      const catalog = await withClient(target, flags, (client) =>
        client.transaction((tx) => readCatalog(tx, { stats: flags.stats })),
      );
      ctx.io.stdout(`${JSON.stringify(catalog, null, 2)}\n`);
    });
  },
};
