import type { LogicalModel, LogicalTable } from '../model/resolve.js';
import { parseFrequency } from '../model/schema.js';
import { type DesignIndex, indexCovers, indexShape } from './design-index.js';
import { patternIndexCandidates } from './index-candidates.js';
import { modelCatalog, type ValueHint } from './model-catalog.js';
import { patternSql } from './pattern-sql.js';

/** Tables expected to stay below this many rows get no access-pattern index: a sequential scan is as fast. */
export const SMALL_TABLE_ROWS = 10_000;

/** The indexes a model needs, and the derived ones left out with the reason. */
export interface DerivedIndexes {
  indexes: DesignIndex[];
  /** Derived indexes not emitted, with why (served by another index, small table). */
  skipped: { index: DesignIndex; because: string }[];
  /** Each pattern's SQL text (what the candidate logic saw). */
  patternSql: Map<string, string>;
  /** What the indexes cost the write patterns (the read/write mix), one line each. */
  writeCosts: { subject: string; because: string; basis: string }[];
}

/** The PK and unique constraints as indexes (they are, in PostgreSQL), for coverage checks. */
export function constraintIndexes(table: LogicalTable): DesignIndex[] {
  const mk = (columns: string[], because: string): DesignIndex => ({
    table: table.name,
    method: 'btree',
    keys: columns.map((c) => ({ column: c, expression: null, descending: false, opclass: null })),
    include: [],
    predicate: null,
    unique: true,
    name: null,
    reasons: [{ basis: 'model', because }],
  });
  const out = table.primaryKey.length > 0 ? [mk(table.primaryKey, 'primary key')] : [];
  for (const u of table.uniques) out.push(mk(u.columns, 'unique constraint'));
  for (const c of table.columns) if (c.field.unique) out.push(mk([c.name], 'unique field'));
  for (const fk of table.foreignKeys) if (fk.unique) out.push(mk(fk.columns, '1:1 relationship'));
  return out;
}

function expectedRows(table: LogicalTable): number | undefined {
  const v = table.entity?.volume;
  if (!v || v.rows === undefined) return undefined;
  return v.rows + 12 * (v.growthPerMonth ?? 0);
}

/**
 * Derives indexes: every foreign key gets a covering index (deletes of a parent and joins from it otherwise scan
 * the child), every junction its reverse index, and every access pattern the candidates of the shared candidate
 * logic. Identical candidates merge (their reasons add up); a candidate whose lookups another index already
 * serves (a leading prefix of a wider B-tree, or of the primary key) is dropped with that reason.
 */
export async function deriveIndexes(logical: LogicalModel): Promise<DerivedIndexes> {
  const explicit: DesignIndex[] = [];
  for (const table of logical.tables) {
    for (const { spec } of table.indexes) {
      explicit.push({
        table: table.name,
        method: spec.method,
        keys: spec.keys.map((k) => ({
          column: k.column ?? null,
          expression: k.expression ?? null,
          descending: k.order === 'desc',
          opclass: k.opclass ?? null,
          ...(k.nulls ? { nulls: k.nulls } : {}),
        })),
        include: spec.include,
        predicate: spec.where ?? null,
        unique: spec.unique,
        name: spec.name ?? null,
        reasons: [{ basis: 'model', because: spec.description ?? 'declared in the model' }],
      });
    }
  }
  const sqlByPattern = new Map<string, string>();
  for (const p of logical.patterns) sqlByPattern.set(p.spec.name, patternSql(p, logical));
  if (!logical.model.settings.deriveIndexes) {
    return { indexes: explicit, skipped: [], patternSql: sqlByPattern, writeCosts: [] };
  }

  const derived: DesignIndex[] = [];
  for (const table of logical.tables) {
    for (const fk of table.foreignKeys) {
      derived.push({
        table: table.name,
        method: 'btree',
        keys: fk.columns.map((c) => ({ column: c, expression: null, descending: false, opclass: null })),
        include: [],
        predicate: null,
        unique: false,
        name: null,
        reasons: [
          {
            basis: 'rule:fk-without-index',
            because: `covers the foreign key to ${fk.refTable}: ON DELETE on ${fk.refTable} and joins from it look rows up by ${fk.columns.join(', ')}`,
          },
        ],
      });
    }
    if (table.kind === 'junction') {
      const [a, b] = table.primaryKey;
      derived.push({
        table: table.name,
        method: 'btree',
        keys: [b!, a!].map((c) => ({ column: c, expression: null, descending: false, opclass: null })),
        include: [],
        predicate: null,
        unique: false,
        name: null,
        reasons: [
          {
            basis: `relationship:${table.junctionOf!.relationship.from}-${table.junctionOf!.relationship.to}`,
            because: `reverse index of the N:M junction: the key (${a}, ${b}) serves lookups by ${a}; this one serves lookups by ${b}`,
          },
        ],
      });
    }
  }

  const skipped: DerivedIndexes['skipped'] = [];
  const catalog = modelCatalog(logical, valueHints(logical));
  const byPattern = await patternIndexCandidates(
    logical.patterns
      .filter((p) => p.spec.kind !== 'insert')
      .map((p) => ({ name: p.spec.name, sql: sqlByPattern.get(p.spec.name)! })),
    catalog,
  );
  for (const pattern of logical.patterns) {
    const freq = pattern.spec.frequency === undefined ? undefined : parseFrequency(pattern.spec.frequency);
    const rate = freq === undefined ? '' : ` at ${formatRate(freq)}`;
    for (const c of byPattern.get(pattern.spec.name) ?? []) {
      const { because, ...shape } = c;
      const index: DesignIndex = {
        ...shape,
        name: null,
        reasons: [{ basis: `pattern:${pattern.spec.name}`, because: `${because}${rate}` }],
      };
      const table = logical.table(c.table);
      const rows = table ? expectedRows(table) : undefined;
      if (rows !== undefined && rows < SMALL_TABLE_ROWS) {
        skipped.push({
          index,
          because: `${c.table} is expected to stay at about ${rows} rows: a sequential scan is as fast as an index`,
        });
        continue;
      }
      derived.push(index);
    }
  }

  // Merge identical shapes (reasons add up), explicit ones first so their names win.
  const byShape = new Map<string, DesignIndex>();
  for (const ix of [...explicit, ...derived]) {
    const shape = indexShape(ix);
    const prev = byShape.get(shape);
    if (prev) prev.reasons.push(...ix.reasons.filter((r) => !prev.reasons.some((p) => p.because === r.because)));
    else byShape.set(shape, { ...ix, reasons: [...ix.reasons] });
  }
  const explicitSet = new Set(explicit.map(indexShape));
  const constraints = logical.tables.flatMap(constraintIndexes);
  const live = [...byShape.values()];
  // Drop a derived index whose keys lead a wider index (or a constraint's index); a wider derived B-tree
  // absorbs its INCLUDE columns. Widest absorbers first, so every drop lands on an index that stays.
  for (let changed = true; changed; ) {
    changed = false;
    for (const ix of [...live]) {
      if (explicitSet.has(indexShape(ix))) continue;
      const keysOnly = { ...ix, include: [] };
      const others = live.filter((w) => w !== ix).sort((a, b) => b.keys.length - a.keys.length);
      const byConstraint = constraints.find((w) => indexCovers(w, ix));
      const byIndex =
        others.find((w) => indexCovers(w, ix)) ??
        others.find((w) => !explicitSet.has(indexShape(w)) && w.method === 'btree' && indexCovers(w, keysOnly));
      const by = byConstraint ?? byIndex;
      if (!by) continue;
      if (!byConstraint && byIndex) {
        for (const c of ix.include) {
          if (!byIndex.include.includes(c) && !byIndex.keys.some((k) => k.column === c)) byIndex.include.push(c);
        }
        byIndex.reasons.push(...ix.reasons.map((r) => ({ ...r, because: `also ${r.because}` })));
      }
      const name = byConstraint
        ? `the ${byConstraint.reasons[0]!.because} (${byConstraint.keys.map((k) => k.column).join(', ')})`
        : indexShape(by);
      skipped.push({ index: ix, because: `served by ${name}` });
      live.splice(live.indexOf(ix), 1);
      changed = true;
    }
  }
  const writeCosts = applyWriteMix(logical, live, explicitSet);
  return { indexes: live, skipped, patternSql: sqlByPattern, writeCosts };
}

function formatRate(perSecond: number): string {
  if (perSecond >= 1) return `${round(perSecond)}/s`;
  if (perSecond * 60 >= 1) return `${round(perSecond * 60)}/min`;
  if (perSecond * 3600 >= 1) return `${round(perSecond * 3600)}/h`;
  return `${round(perSecond * 86400)}/day`;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Constants access patterns filter on with a declared selectivity (partial-index hints). */
function valueHints(logical: LogicalModel): ValueHint[] {
  const out: ValueHint[] = [];
  for (const p of logical.patterns) {
    for (const f of p.spec.filters) {
      if (f.field && f.value !== undefined && typeof f.value !== 'object' && f.selectivity !== undefined) {
        out.push({ table: p.table.name, column: f.field, value: String(f.value), frequency: f.selectivity });
      }
    }
  }
  return out;
}

/**
 * The read/write mix: an UPDATE that changes a column in any index of its table cannot be a HOT update (the new
 * row version needs new index entries, and the page cannot be pruned in place). Derived indexes drop such columns
 * from INCLUDE (an index-only scan is not worth losing HOT on a frequently updated column); key columns stay and
 * the cost is stated. Insert patterns get the number of indexes each insert maintains.
 */
function applyWriteMix(
  logical: LogicalModel,
  indexes: DesignIndex[],
  explicit: ReadonlySet<string>,
): { subject: string; because: string; basis: string }[] {
  const out: { subject: string; because: string; basis: string }[] = [];
  for (const p of logical.patterns) {
    const freq = p.spec.frequency === undefined ? '' : ` at ${formatRate(parseFrequency(p.spec.frequency) ?? 0)}`;
    const table = p.table.name;
    const onTable = indexes.filter((ix) => ix.table === table);
    if (p.spec.kind === 'update' && p.spec.set.length > 0) {
      for (const ix of onTable) {
        if (explicit.has(indexShape(ix))) continue;
        const dropped = ix.include.filter((c) => p.spec.set.includes(c));
        if (dropped.length > 0) {
          ix.include = ix.include.filter((c) => !dropped.includes(c));
          ix.reasons.push({
            basis: `pattern:${p.spec.name}`,
            because: `INCLUDE leaves out ${dropped.join(', ')}: ${p.spec.name} updates it${freq}, and an indexed column change cannot be a HOT update`,
          });
        }
      }
      const keyed = onTable.filter(
        (ix) =>
          ix.keys.some((k) => k.column !== null && p.spec.set.includes(k.column)) ||
          ix.include.some((c) => p.spec.set.includes(c)),
      );
      if (keyed.length > 0) {
        out.push({
          subject: `${table} (${p.spec.set.join(', ')})`,
          because: `${p.spec.name} updates ${p.spec.set.join(', ')}${freq}; ${keyed.length} index(es) contain it, so these updates are not HOT and each writes new index entries — the price of the reads those indexes serve`,
          basis: `pattern:${p.spec.name}`,
        });
      }
    }
    if (p.spec.kind === 'insert') {
      const keys = logical.table(table)!;
      const constraintCount = constraintIndexes(keys).length;
      out.push({
        subject: table,
        because: `${p.spec.name} inserts${freq}: each insert maintains ${onTable.length + constraintCount} index(es) (${constraintCount} for keys and unique constraints)`,
        basis: `pattern:${p.spec.name}`,
      });
    }
  }
  return out;
}
