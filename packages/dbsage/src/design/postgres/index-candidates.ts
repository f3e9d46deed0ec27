import type { IndexCandidate } from '../../advisor/indexes/candidate.js';
import { generateCandidates } from '../../advisor/indexes/candidates.js';
import { prepareStatement } from '../../advisor/indexes/statements.js';
import type { Catalog } from '../../catalog/types.js';
import { fingerprintSql, loadParser } from '../../sql/parser.js';
import type { DesignIndex } from './design-index.js';

/** A candidate for one access pattern, with the reason in words. */
export type CandidateIndex = Omit<DesignIndex, 'name' | 'reasons'> & { because: string };

/**
 * Index candidates for access patterns, from the index advisor's own candidate generation
 * (`generateCandidates`): the same decision tree (equality → sort → range with ORDER BY directions, partial
 * indexes for rare constants, expression keys, GIN trigram / jsonb_path_ops / full-text, covering variants) on
 * the catalog the model implies. The advisor then costs candidates against a live database; design has no data
 * yet, so it picks per statement: every GIN candidate, the partial B-tree when the advisor offers one (else the
 * widest composite), and its covering variant when there is one (not for single-row lookups by a unique key). BRIN and hash need real statistics and are left
 * to the advisor on the live database.
 */
export async function patternIndexCandidates(
  patterns: readonly { name: string; sql: string }[],
  catalog: Catalog,
): Promise<Map<string, CandidateIndex[]>> {
  await loadParser();
  const prepared = patterns.map((p) =>
    prepareStatement(
      {
        fingerprint: `${p.name}:${fingerprintSql(p.sql)}`,
        query: p.sql,
        example: null,
        exampleParams: null,
        calls: 1,
        totalTimeMillis: 1,
        meanTimeMillis: 1,
        rows: 0,
        queryId: null,
        location: null,
      },
      catalog,
    ),
  );
  const set = generateCandidates(prepared, catalog);
  const out = new Map<string, CandidateIndex[]>();
  patterns.forEach((p, i) => {
    const entry = set.perStatement.get(prepared[i]!.id);
    const cands = (entry?.candidateIds ?? []).map((id) => set.candidates.get(id)!);
    out.set(p.name, pick(cands, catalog));
  });
  return out;
}

function sameKeys(a: IndexCandidate, b: IndexCandidate): boolean {
  return (
    a.table === b.table &&
    a.method === b.method &&
    a.predicate === b.predicate &&
    a.keys.length === b.keys.length &&
    a.keys.every(
      (k, i) =>
        k.column === b.keys[i]!.column &&
        k.expression === b.keys[i]!.expression &&
        k.descending === b.keys[i]!.descending &&
        k.opclass === b.keys[i]!.opclass,
    )
  );
}

/** The leading key is a unique column (or an expression over one): the lookup returns one row. */
function singleRowLookup(c: IndexCandidate, catalog: Catalog): boolean {
  const table = catalog.tables.find((t) => t.name === c.table);
  const first = c.keys[0];
  if (!table || !first) return false;
  const cols = first.column
    ? [first.column]
    : table.columns.map((x) => x.name).filter((n) => new RegExp(`\\b${n}\\b`).test(first.expression ?? ''));
  return table.constraints.some(
    (k) => (k.kind === 'unique' || k.kind === 'primary') && k.columns.length === 1 && cols.includes(k.columns[0]!),
  );
}

function pick(cands: readonly IndexCandidate[], catalog: Catalog): CandidateIndex[] {
  const out: CandidateIndex[] = [];
  for (const c of cands.filter((x) => x.method === 'gin')) out.push(toDesign(c));
  const byTable = new Map<string, IndexCandidate[]>();
  for (const c of cands.filter((x) => x.method === 'btree')) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c]);
  for (const list of byTable.values()) {
    const plain = list.filter((c) => c.include.length === 0);
    const partial = plain.filter((c) => c.predicate !== null);
    const composite = plain
      .filter((c) => c.predicate === null && !isJoinOnly(c))
      .sort((a, b) => b.keys.length - a.keys.length);
    const chosen = partial[0] ?? composite[0];
    for (const c of [chosen, ...plain.filter(isJoinOnly)]) {
      if (!c) continue;
      // A single-row lookup gains nothing from INCLUDE: one heap fetch either way.
      const covering = singleRowLookup(c, catalog)
        ? undefined
        : list.find((x) => x.include.length > 0 && sameKeys({ ...x, include: [] } as IndexCandidate, c));
      out.push(toDesign(covering ?? c));
    }
  }
  return out;
}

/** A single-column candidate that exists only because of a join (the foreign-key index covers it). */
function isJoinOnly(c: IndexCandidate): boolean {
  return c.keys.length === 1 && c.kinds.includes('foreign-key') && !c.kinds.includes('ordered') && c.predicate === null;
}

const KIND_WORDS: Record<string, string> = {
  composite: 'composite B-tree, equality → sort → range',
  single: 'B-tree',
  ordered: 'sort order matches ORDER BY (an ordered scan stops at LIMIT)',
  expression: 'expression key, as the query writes it',
  partial: 'partial: only the rows with the rare value',
  covering: 'INCLUDE columns for an index-only scan',
  'foreign-key': 'leads with a foreign key',
  trigram: 'GIN gin_trgm_ops: LIKE/ILIKE with a leading wildcard and regular expressions',
  jsonb: 'GIN on jsonb (jsonb_path_ops for @>)',
  'full-text': 'GIN on the to_tsvector expression the query uses',
  array: 'GIN for array operators',
};

function toDesign(c: IndexCandidate): CandidateIndex {
  return {
    table: c.table,
    method: c.method,
    keys: c.keys.map((k) => ({ ...k })),
    include: [...c.include],
    predicate: c.predicate,
    unique: false,
    because: `advisor candidate (${c.kinds.map((k) => KIND_WORDS[k] ?? k).join('; ')})`,
  };
}
