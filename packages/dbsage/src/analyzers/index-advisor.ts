import { type AdviseOptions, adviseIndexes } from '../advisor/indexes/advise.js';
import { advisorFindings } from '../advisor/indexes/findings.js';
import { verifyRecommendations } from '../advisor/indexes/verify.js';
import type { Analyzer } from '../findings/registry.js';

/** Options of the index-advisor analyzer (`ctx.options['index-advisor']`), with documented defaults. */
export interface IndexAdvisorAnalyzerOptions extends AdviseOptions {
  /** Also build and measure the recommendations (embedded only unless `scratch`). Default false: keep runs fast. */
  verify?: boolean;
}

/**
 * The index advisor as an analyzer: recommendations, drop candidates and per-statement reasons as findings.
 * In runners (the demo, `dbsage check`-style commands) it runs in its fast default mode: what-if costing only,
 * an 8-second search limit; `dbsage indexes` exposes every option.
 */
export const indexAdvisorAnalyzer: Analyzer = {
  id: 'index-advisor',
  category: 'index',
  description: 'workload-wide index recommendations (every index type) with what-if costs, drop candidates',
  needs: ['client', 'workload'],
  timeoutMillis: 60_000,
  async run(ctx) {
    const client = ctx.client!;
    const workload = await ctx.workload();
    if (workload.statements.length === 0) return [];
    const options = (ctx.options['index-advisor'] ?? {}) as IndexAdvisorAnalyzerOptions;
    const result = await adviseIndexes(client, workload, {
      timeLimitMillis: 8_000,
      ...options,
      catalog: await ctx.catalog(),
      onProgress: (label) => ctx.log(`index advisor: ${label}`),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const verify = options.verify
      ? await verifyRecommendations(client, result, { scratch: options.scratch ?? false })
      : undefined;
    return advisorFindings(result, verify);
  },
};

/** Analyzers contributed by the index advisor (discovered by `findings/discover.ts`). */
export const analyzers: Analyzer[] = [indexAdvisorAnalyzer];
