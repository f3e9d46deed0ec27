import { qualifiedName } from '../../engines/postgres/quote.js';
import type { Finding } from '../../findings/finding.js';
import { defineCheck } from '../check.js';
import {
  byTable,
  comparable,
  describeKeys,
  enforces,
  identicalIndexSets,
  includeList,
  keepAndDrop,
  keyList,
} from '../index-shape.js';
import { INDEX_WASTE_OPTIONS, wasteSeverity } from '../index-waste.js';
import { makeFinding } from '../make-finding.js';
import { type IndexInfo, type IndexShape, indexShapes, measureIndexes } from '../sources.js';
import { catalogMemo } from '../state.js';
import { formatBytes } from '../units.js';

/** True when `a`'s keys are a leading prefix of `b`'s (and `a` is not identical to `b`). */
function isLeftPrefix(a: IndexShape, b: IndexShape): boolean {
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
  watchRefresh: 'catalog',
  description: 'B-tree indexes whose keys are a left prefix of another index on the same table',
  options: INDEX_WASTE_OPTIONS,
  async run(ctx, o) {
    const findings: Finding[] = [];
    // Which index is a left prefix of which depends on the catalog alone (kept across a session's runs); sizes and
    // counters are read on every run, for the indexes involved only.
    const candidates = await catalogMemo(ctx, 'left-prefix-candidates', async () => {
      const out: { index: IndexShape; covering: IndexShape[] }[] = [];
      for (const group of byTable((await indexShapes(ctx)).filter((i) => i.valid && i.ready)).values()) {
        for (const a of group) {
          if (a.method !== 'btree' || enforces(a)) continue;
          const covering = group.filter((b) => b.oid !== a.oid && comparable(a, b) && isLeftPrefix(a, b));
          if (covering.length > 0) out.push({ index: a, covering });
        }
      }
      return out;
    });
    if (candidates.length === 0) return findings;
    const sets = await identicalIndexSets(ctx);
    const measured = await measureIndexes(ctx, [
      ...candidates.flatMap((c) => [c.index, ...c.covering]),
      ...sets.flat(),
    ]);
    const live = (list: readonly IndexShape[]) =>
      list.map((i) => measured.get(i.oid)).filter((i): i is IndexInfo => i !== undefined);
    // An index exact-duplicate-index already reports for dropping is not reported twice, nor offered as the cover.
    const dropped = new Set(sets.flatMap((set) => keepAndDrop(live(set))?.drop.map((d) => d.oid) ?? []));
    for (const c of candidates) {
      const redundant = measured.get(c.index.oid);
      if (!redundant || dropped.has(redundant.oid)) continue;
      const covering = live(c.covering)
        .filter((b) => !dropped.has(b.oid))
        .sort((x, y) => x.sizeBytes - y.sizeBytes);
      const b = covering[0];
      if (!b) continue;
      const a = redundant;
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
            alternatives: covering.slice(1).map((x) => x.name),
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
    return findings;
  },
});
