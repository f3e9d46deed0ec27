import type { Catalog, ColumnStats, Table } from './types.js';

/** Finds a table by name; `name` may be `schema.table` or a bare name (search `public` first). */
export function findTable(catalog: Catalog, name: string, schema?: string): Table | undefined {
  const dot = name.indexOf('.');
  if (dot > 0 && schema === undefined) return findTable(catalog, name.slice(dot + 1), name.slice(0, dot));
  if (schema !== undefined) return catalog.tables.find((t) => t.schema === schema && t.name === name);
  return (
    catalog.tables.find((t) => t.schema === 'public' && t.name === name) ?? catalog.tables.find((t) => t.name === name)
  );
}

/** pg_stats for one column (non-inherited row preferred). */
export function columnStats(catalog: Catalog, table: Table, column: string): ColumnStats | undefined {
  const matches = catalog.stats.filter(
    (s) => s.schema === table.schema && s.table === table.name && s.column === column,
  );
  return matches.find((s) => !s.inherited) ?? matches[0];
}

/** Estimated distinct values of a column from pg_stats (n_distinct < 0 is a fraction of rows). */
export function distinctValues(stats: ColumnStats | undefined, rows: number): number | undefined {
  if (!stats) return undefined;
  return stats.nDistinct >= 0 ? stats.nDistinct : -stats.nDistinct * rows;
}

/** `schema.table` for messages, omitting `public.`. */
export function displayName(table: { schema: string; name: string }): string {
  return table.schema === 'public' ? table.name : `${table.schema}.${table.name}`;
}
