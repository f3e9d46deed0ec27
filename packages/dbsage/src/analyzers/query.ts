import type { Analyzer } from '../findings/registry.js';
import { checkAntiPatterns, statementsFromWorkload } from '../query/anti-patterns/check-anti-patterns.js';
import { findNPlusOneFromStatements, statsFromWorkload } from '../query/n-plus-one/find-n-plus-one.js';
import { loadParser } from '../sql/parser.js';

/**
 * Query analysis for analyzer discovery: SQL anti-patterns over the workload's statements (with the catalog
 * when there is a database), and N+1 pairs from the workload's statistics with verified rewrites. EXPLAIN
 * insights, runtime and log N+1 detection need a statement, an application or a log and live in their commands.
 */
export const analyzers: Analyzer[] = [
  {
    id: 'query-anti-patterns',
    category: 'query',
    description: 'SQL anti-patterns in the workload (SELECT *, OFFSET paging, NOT IN, leading wildcards, …)',
    needs: ['workload'],
    async run(ctx) {
      await loadParser();
      const workload = await ctx.workload();
      if (workload.statements.length === 0) return [];
      const catalog = ctx.client ? await ctx.catalog() : undefined;
      return checkAntiPatterns(statementsFromWorkload(workload.statements), catalog ? { catalog } : {});
    },
  },
  {
    id: 'query-n-plus-one',
    category: 'query',
    description: 'N+1 loops paired from statement statistics, with a rewrite checked on the target',
    needs: ['workload'],
    timeoutMillis: 60_000,
    async run(ctx) {
      await loadParser();
      const workload = await ctx.workload();
      if (workload.statements.length === 0) return [];
      const catalog = ctx.client ? await ctx.catalog() : undefined;
      return findNPlusOneFromStatements(statsFromWorkload(workload), {
        ...(ctx.client ? { client: ctx.client } : {}),
        ...(catalog ? { catalog } : {}),
      });
    },
  },
];
