import type { Catalog } from '../../catalog/types.js';

/**
 * A name-independent signature of a schema, for "is this the same schema?" comparisons (the `design --from`
 * round trip): per table its columns (type, nullability, default, identity), constraints by kind, columns and
 * definition (foreign keys with their target and actions), indexes by method, keys, INCLUDE, predicate and
 * uniqueness, and triggers. Constraint and index names are left out: they are labels, not behaviour.
 */
export interface SchemaSignature {
  tables: Record<
    string,
    {
      columns: string[];
      constraints: string[];
      indexes: string[];
      triggers: string[];
    }
  >;
}

/** Builds the signature of one schema of a catalog. */
export function schemaSignature(catalog: Catalog, schema = 'public'): SchemaSignature {
  const tables: SchemaSignature['tables'] = {};
  for (const t of catalog.tables) {
    if (t.schema !== schema || (t.kind !== 'table' && t.kind !== 'partitioned')) continue;
    tables[t.name] = {
      columns: t.columns.map(
        (c) =>
          `${c.name} ${c.type}${c.nullable ? '' : ' NOT NULL'}${c.default !== null ? ` DEFAULT ${c.default}` : ''}${c.identity ? ` IDENTITY ${c.identity}` : ''}`,
      ),
      constraints: t.constraints
        .map((c) => `${c.kind} (${c.columns.join(', ')}) ${c.definition}${c.validated ? '' : ' NOT VALID'}`)
        .sort(),
      indexes: t.indexes
        .filter((ix) => !ix.constraintName)
        .map(
          (ix) =>
            `${ix.unique ? 'unique ' : ''}${ix.method} (${ix.keys
              .map(
                (k) =>
                  `${k.column ?? `(${k.expression})`}${k.opclass ? ` ${k.opclass}` : ''}${k.descending ? ' DESC' : ''}`,
              )
              .join(
                ', ',
              )})${ix.include.length ? ` INCLUDE (${ix.include.join(', ')})` : ''}${ix.predicate ? ` WHERE ${ix.predicate}` : ''}`,
        )
        .sort(),
      triggers: t.triggers.map((g) => `${g.name} ${g.timing} ${g.events.join('|')} ${g.function}`).sort(),
    };
  }
  return { tables };
}
