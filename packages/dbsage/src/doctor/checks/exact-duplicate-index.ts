import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { defineCheck } from '../check.js';
import { describeKeys, identicalIndexSets, keepAndDrop } from '../index-shape.js';
import { INDEX_WASTE_OPTIONS, wasteSeverity } from '../index-waste.js';
import { makeFinding } from '../make-finding.js';
import { type IndexInfo, measureIndexes } from '../sources.js';
import { formatBytes } from '../units.js';

/**
 * `exact-duplicate-index`: indexes identical to another on the same table — same method, keys (column, operator class,
 * collation, order), INCLUDE columns, predicate and expressions. Every write maintains both; the one kept is the
 * one enforcing a constraint, else the more scanned. Left-prefix redundancy is a different check
 * (left-prefix-index) because the fix there needs more care.
 */
export const exactDuplicateIndex = defineCheck({
  id: 'exact-duplicate-index',
  category: 'index',
  watchRefresh: 'catalog',
  description: 'Exact duplicate indexes (same keys, operator classes, INCLUDE, predicate) on one table',
  options: INDEX_WASTE_OPTIONS,
  async run(ctx, o) {
    const findings: Finding[] = [];
    // The sets come from the catalog alone; which index of a set to keep depends on its counters, so only the
    // members of a set are measured, on every run.
    const sets = await identicalIndexSets(ctx);
    if (sets.length === 0) return findings;
    const measured = await measureIndexes(ctx, sets.flat());
    for (const set of sets) {
      const g = keepAndDrop(set.map((i) => measured.get(i.oid)).filter((i): i is IndexInfo => i !== undefined));
      if (!g) continue;
      const keep = g.keep;
      for (const d of g.drop) {
        const bothConstraints = d.constraintName !== null;
        const dropSql = bothConstraints
          ? `ALTER TABLE ${qualifiedName(d.schema, d.table)} DROP CONSTRAINT ${quoteIdent(d.constraintName!)};`
          : `DROP INDEX CONCURRENTLY ${qualifiedName(d.schema, d.name)};`;
        findings.push(
          makeFinding({
            ruleId: 'exact-duplicate-index',
            category: 'index',
            severity: wasteSeverity(d, o),
            title: `Index ${qualifiedName(d.schema, d.name)} duplicates ${qualifiedName(keep.schema, keep.name)} on ${qualifiedName(d.schema, d.table)} ${describeKeys(d)}`,
            summary:
              'Two identical indexes cost twice the writes, memory and disk for no read benefit; the planner uses one of them. Drop the duplicate.',
            evidence: {
              table: `${d.schema}.${d.table}`,
              duplicate: d.name,
              duplicateDefinition: d.definition,
              duplicateSizeBytes: d.sizeBytes,
              duplicateScans: d.scans,
              duplicateConstraint: d.constraintName,
              kept: keep.name,
              keptDefinition: keep.definition,
              keptScans: keep.scans,
              keptConstraint: keep.constraintName,
              savingBytes: d.sizeBytes,
            },
            remediation: bothConstraints
              ? {
                  steps: [
                    `Both indexes back constraints. Check that no foreign key depends on ${d.constraintName}, then drop that constraint:`,
                    dropSql,
                  ],
                }
              : {
                  sql: dropSql,
                  steps: [`Saves ${formatBytes(d.sizeBytes)} and one index maintenance per write.`],
                },
            object: `index ${d.schema}.${d.name}`,
            identity: [d.schema, d.name],
          }),
        );
      }
    }
    return findings;
  },
});
