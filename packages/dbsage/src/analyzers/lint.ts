import type { Analyzer } from '../findings/registry.js';
import { modelFromCatalog } from '../lint/catalog-model.js';
import { lintSources } from '../lint/linter.js';

/**
 * Design lint rules that the doctor already reports on a live database (with live evidence such as scans and
 * sizes); on the live catalog only the doctor's version runs, so one problem is one finding.
 */
const COVERED_BY_DOCTOR = ['fk-without-index', 'duplicate-index', 'redundant-index', 'table-without-primary-key'];

/** The schema design rules, run on the live catalog (the same rules `dbsage lint --db` uses on files). */
export const analyzers: Analyzer[] = [
  {
    id: 'schema-design',
    category: 'schema',
    description: 'schema design rules (types, keys, constraints, naming) on the live catalog',
    needs: ['client', 'catalog'],
    async run(ctx) {
      const model = modelFromCatalog(await ctx.catalog());
      const rules = Object.fromEntries(COVERED_BY_DOCTOR.map((id) => [id, 'off' as const]));
      const result = await lintSources([], { model, profiles: ['design', 'style'], rules });
      return result.findings;
    },
  },
];
