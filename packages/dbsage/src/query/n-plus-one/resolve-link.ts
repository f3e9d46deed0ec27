import { findTable } from '../../catalog/lookup.js';
import type { Catalog } from '../../catalog/types.js';
import type { NPlusOneLink } from './link.js';
import { linkEquality, type SelectParts, selectParts } from './statement-parts.js';

/** What is known besides the two statements. */
export interface LinkHints {
  catalog?: Catalog;
  /** Rows the parent returned (runtime instrumentation sees them). */
  parentRows?: readonly Record<string, unknown>[];
  /** Parameters of each child execution, in order. */
  childParams?: readonly (readonly unknown[] | null)[];
}

function singular(name: string): string {
  if (name.endsWith('ies')) return `${name.slice(0, -3)}y`;
  if (name.endsWith('ses')) return name.slice(0, -2);
  if (name.endsWith('s')) return name.slice(0, -1);
  return name;
}

function outputs(parent: SelectParts): { names: Set<string>; star: boolean } {
  return {
    names: new Set(parent.outputs.filter((o) => !o.star && o.name).map((o) => o.name!)),
    star: parent.outputs.some((o) => o.star),
  };
}

/** Candidate per-iteration equalities of the child: column, its table and the params they use. */
function candidates(child: SelectParts): { column: string; table: string; schema: string | null; params: number[] }[] {
  const out = [];
  for (const c of child.conjuncts) {
    const eq = linkEquality(c);
    if (!eq) continue;
    const item = eq.qualifier
      ? child.from.find((f) => f.alias === eq.qualifier)
      : child.from.length === 1
        ? child.from[0]
        : undefined;
    if (!item?.table) continue;
    out.push({ column: eq.column, table: item.table, schema: item.schema, params: eq.params });
  }
  return out;
}

/**
 * Finds how a repeated child statement is fed by its parent, most reliable evidence first: a foreign key in
 * the catalog (child FK → parent key: one-to-many; parent FK → child key: to-one), then the child's parameter
 * values appearing in a parent output column (runtime), then naming (`user_id` ↔ `users.id`). Null when no link
 * can be shown — the finding then offers only the batching advice.
 */
export function resolveLink(parentSql: string, childSql: string, hints: LinkHints = {}): NPlusOneLink | null {
  const parent = selectParts(parentSql);
  const child = selectParts(childSql);
  if (!parent || !child) return null;
  const out = outputs(parent);
  const parentTables = parent.from.filter((f) => f.table);
  const selects = (col: string) => out.names.has(col) || out.star;
  const cands = candidates(child);
  const { catalog } = hints;
  if (catalog) {
    for (const c of cands) {
      const childTable = findTable(catalog, c.table, c.schema ?? undefined);
      if (!childTable) continue;
      // one-to-many: child.c REFERENCES parent(k)
      for (const fk of childTable.constraints) {
        if (fk.kind !== 'foreign' || fk.columns.length !== 1 || fk.columns[0] !== c.column || !fk.references) continue;
        const ref = fk.references;
        const p = parentTables.find((f) => f.table === ref.table);
        if (!p || !selects(ref.columns[0]!)) continue;
        return {
          kind: 'one-to-many',
          childTable: c.table,
          childSchema: c.schema,
          childColumn: c.column,
          parentColumn: ref.columns[0]!,
          parentTable: ref.table,
          alwaysMatches: false,
          evidence: 'foreign-key',
          constraint: fk.name,
        };
      }
      // to-one: parent.f REFERENCES child(c) where c is the child's key
      for (const p of parentTables) {
        const parentTable = findTable(catalog, p.table!, p.schema ?? undefined);
        for (const fk of parentTable?.constraints ?? []) {
          if (fk.kind !== 'foreign' || fk.columns.length !== 1 || !fk.references) continue;
          if (fk.references.table !== childTable.name || fk.references.columns[0] !== c.column) continue;
          if (!selects(fk.columns[0]!)) continue;
          const fkColumn = parentTable!.columns.find((col) => col.name === fk.columns[0]);
          return {
            kind: 'to-one',
            childTable: c.table,
            childSchema: c.schema,
            childColumn: c.column,
            parentColumn: fk.columns[0]!,
            parentTable: p.table!,
            alwaysMatches: fkColumn ? !fkColumn.nullable : false,
            evidence: 'foreign-key',
            constraint: fk.name,
          };
        }
      }
    }
  }
  if (hints.parentRows?.length && hints.childParams?.length) {
    for (const c of cands) {
      if (c.params.length !== 1) continue;
      const values = new Set(
        hints.childParams
          .map((p) => p?.[c.params[0]! - 1])
          .filter((v) => v !== undefined && v !== null)
          .map(String),
      );
      if (values.size < 2) continue;
      for (const name of Object.keys(hints.parentRows[0]!)) {
        const parentValues = new Set(hints.parentRows.map((r) => String(r[name])));
        if ([...values].every((v) => parentValues.has(v))) {
          const toOne = c.column === 'id';
          return {
            kind: toOne ? 'to-one' : 'one-to-many',
            childTable: c.table,
            childSchema: c.schema,
            childColumn: c.column,
            parentColumn: name,
            parentTable: parentTables[0]?.table ?? '?',
            alwaysMatches: false,
            evidence: 'values',
            constraint: null,
          };
        }
      }
    }
  }
  for (const c of cands) {
    for (const p of parentTables) {
      if (c.column === `${singular(p.table!)}_id` && selects('id'))
        return {
          kind: 'one-to-many',
          childTable: c.table,
          childSchema: c.schema,
          childColumn: c.column,
          parentColumn: 'id',
          parentTable: p.table!,
          alwaysMatches: false,
          evidence: 'naming',
          constraint: null,
        };
      if (c.column === 'id' && selects(`${singular(c.table)}_id`))
        return {
          kind: 'to-one',
          childTable: c.table,
          childSchema: c.schema,
          childColumn: c.column,
          parentColumn: `${singular(c.table)}_id`,
          parentTable: p.table!,
          alwaysMatches: false,
          evidence: 'naming',
          constraint: null,
        };
    }
  }
  return null;
}
