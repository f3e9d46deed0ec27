import { qualifiedName } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { defineCheck } from '../check.js';
import { byTable, comparable, describeKeys, duplicateGroups, enforces, includeList, keyList } from '../index-shape.js';
import { INDEX_WASTE_OPTIONS, wasteSeverity } from '../index-waste.js';
import { makeFinding } from '../make-finding.js';
import { type IndexInfo, indexes, measureIndexes } from '../sources.js';
import { formatBytes } from '../units.js';

/** True when `a`'s keys are a leading prefix of `b`'s (and `a` is not identical to `b`). */
function isLeftPrefix(a: IndexInfo, b: IndexInfo): boolean {
  const ka = keyList(a);
  const kb = keyList(b);
  if (ka.length > kb.length) return false;
  for (let k = 0; k < ka.length; k++) if (ka[k] !== kb[k]) return false;
  const ia = includeList(a);
  const ib = new Set(includeList(b));
  if (ka.length === kb.length) {
    // Same keys: redundant only when b's INCLUDE strictly covers a's.
    return ia.every((c) => ib.has(c)) && ib.size > ia.length;
  }
  // A shorter prefix: a's INCLUDE columns must be available from b (as keys or INCLUDE) for index-only scans.
  const bCols = new Set(b.attnums);
  return ia.every((c) => bCols.has(c));
}

/**
 * `left-prefix-index`: a B-tree index whose keys are a leading prefix of another index on the same table (same
 * operator classes, collations, order, predicate): every query that can use it can use the longer one. Indexes
 * that enforce uniqueness, exclusion or replica identity are never reported — the longer index does not enforce
 * the same thing. Reported apart from exact duplicates because the longer index is bigger, so queries on the
 * prefix get slightly slower after the drop; the evidence has both sizes.
 */
export const leftPrefixIndex = defineCheck({
  id: 'left-prefix-index',
  category: 'index',
  description: 'B-tree indexes whose keys are a left prefix of another index on the same table',
  options: INDEX_WASTE_OPTIONS,
  async run(ctx, o) {
    const findings: Finding[] = [];
    for (const [, group] of byTable((await indexes(ctx)).filter((i) => i.valid && i.ready))) {
      // An index exact-duplicate-index already reports for dropping is not reported twice.
      const dropped = new Set(duplicateGroups(group).flatMap((g) => g.drop.map((d) => d.oid)));
      for (const a of group) {
        if (a.method !== 'btree' || enforces(a) || dropped.has(a.oid)) continue;
        const covering = group
          .filter((b) => b.oid !== a.oid && !dropped.has(b.oid) && comparable(a, b) && isLeftPrefix(a, b))
          .sort((x, y) => x.sizeBytes - y.sizeBytes);
        if (!covering[0]) continue;
        const measured = await measureIndexes(ctx, [a, covering[0]]);
        const b = measured.get(covering[0].oid) ?? covering[0];
        const redundant = measured.get(a.oid) ?? a;
        findings.push(
          makeFinding({
            ruleId: 'left-prefix-index',
            category: 'index',
            severity: wasteSeverity(redundant, o),
            title: `Index ${qualifiedName(a.schema, a.name)} ${describeKeys(redundant)} is a left prefix of ${qualifiedName(b.schema, b.name)} ${describeKeys(b)}`,
            summary:
              'Queries that use this index can use the longer one, which is maintained anyway, so this one costs writes and space for little benefit. Drop it after checking that the longer index serves the same queries well enough.',
            evidence: {
              table: `${a.schema}.${a.table}`,
              redundant: a.name,
              redundantDefinition: redundant.definition,
              redundantSizeBytes: redundant.sizeBytes,
              redundantScans: a.scans,
              coveredBy: b.name,
              coveringDefinition: b.definition,
              coveringSizeBytes: b.sizeBytes,
              coveringScans: b.scans,
              alternatives: covering.slice(1).map((c) => c.name),
            },
            remediation: {
              sql: `DROP INDEX CONCURRENTLY ${qualifiedName(a.schema, a.name)};`,
              steps: [
                `Saves ${formatBytes(redundant.sizeBytes)}. Queries on the prefix will read the larger ${b.name} (${formatBytes(b.sizeBytes)}).`,
              ],
            },
            object: `index ${a.schema}.${a.name}`,
            identity: [a.schema, a.name],
          }),
        );
      }
    }
    return findings;
  },
});
