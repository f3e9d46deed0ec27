import { quoteIdent, quoteLiteral } from '../../engines/postgres/quote.js';
import type { LogicalModel, LogicalPattern, LogicalTable } from '../model/resolve.js';
import type { FilterSpec } from '../model/schema.js';

/**
 * Writes an access pattern as the SQL statement the application would run, so that design feeds the very same
 * statement model (`extractStatement`) and index candidate logic that the index advisor applies to a live
 * workload. A pattern with `sql:` (as `design --from` writes from pg_stat_statements) is used as is.
 */
export function patternSql(pattern: LogicalPattern, logical: LogicalModel): string {
  const { spec, table } = pattern;
  if (spec.sql) return spec.sql;
  const t = quoteIdent(table.name);
  const params = { n: 0 };
  const where = spec.filters.map((f) => predicateSql(f, table, params, logical.model.settings.textSearchConfig));
  const whereSql = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  switch (spec.kind) {
    case 'insert': {
      const cols = table.columns.filter((c) => !c.identity && (c.origin !== 'key' || !c.uuidGenerator));
      const values = cols.map(() => `$${++params.n}`);
      return `INSERT INTO ${t} (${cols.map((c) => quoteIdent(c.name)).join(', ')}) VALUES (${values.join(', ')})`;
    }
    case 'update': {
      const set = (spec.set.length > 0 ? spec.set : nonKeyColumns(table).slice(0, 1)).map(
        (c) => `${quoteIdent(c)} = $${++params.n}`,
      );
      // Filters are numbered after SET parameters.
      const filters = spec.filters.map((f) => predicateSql(f, table, params, logical.model.settings.textSearchConfig));
      return `UPDATE ${t} SET ${set.join(', ')}${filters.length > 0 ? ` WHERE ${filters.join(' AND ')}` : ''}`;
    }
    case 'delete':
      return `DELETE FROM ${t}${whereSql}`;
    case 'read': {
      const alias = spec.with.length > 0 ? ' t0' : '';
      const q = (c: string) => (alias ? `t0.${quoteIdent(c)}` : quoteIdent(c));
      const select = spec.select ? spec.select.map(q).join(', ') : alias ? 't0.*' : '*';
      const joins = spec.with.map((w, i) => joinSql(table, logical.table(w)!, `t${i + 1}`, logical));
      const qualifiedWhere = alias
        ? spec.filters.map((f) => predicateSql(f, table, { n: 0 }, logical.model.settings.textSearchConfig, 't0'))
        : where;
      const orderBy = spec.sort.map((s) => `${q(s.field)}${s.order === 'desc' ? ' DESC' : ''}`);
      return [
        `SELECT ${select} FROM ${t}${alias}`,
        ...joins,
        qualifiedWhere.length > 0 ? `WHERE ${qualifiedWhere.join(' AND ')}` : '',
        orderBy.length > 0 ? `ORDER BY ${orderBy.join(', ')}` : '',
        spec.limit !== undefined ? `LIMIT ${spec.limit}` : '',
      ]
        .filter((s) => s !== '')
        .join(' ');
    }
  }
}

function nonKeyColumns(table: LogicalTable): string[] {
  return table.columns.filter((c) => !table.primaryKey.includes(c.name)).map((c) => c.name);
}

function joinSql(from: LogicalTable, to: LogicalTable, alias: string, logical: LogicalModel): string {
  const tt = `${quoteIdent(to.name)} ${alias}`;
  const down = to.foreignKeys.find((fk) => fk.refTable === from.name);
  if (down) {
    return `JOIN ${tt} ON ${alias}.${quoteIdent(down.columns[0]!)} = t0.${quoteIdent(down.refColumns[0]!)}`;
  }
  const up = from.foreignKeys.find((fk) => fk.refTable === to.name);
  if (up) return `JOIN ${tt} ON ${alias}.${quoteIdent(up.refColumns[0]!)} = t0.${quoteIdent(up.columns[0]!)}`;
  const junction = logical.tables.find(
    (j) =>
      j.kind === 'junction' &&
      j.foreignKeys.some((fk) => fk.refTable === from.name) &&
      j.foreignKeys.some((fk) => fk.refTable === to.name),
  )!;
  const a = junction.foreignKeys.find((fk) => fk.refTable === from.name)!;
  const b = junction.foreignKeys.find((fk) => fk.refTable === to.name && fk !== a)!;
  const j = `${alias}j`;
  return (
    `JOIN ${quoteIdent(junction.name)} ${j} ON ${j}.${quoteIdent(a.columns[0]!)} = t0.${quoteIdent(a.refColumns[0]!)} ` +
    `JOIN ${tt} ON ${alias}.${quoteIdent(b.refColumns[0]!)} = ${j}.${quoteIdent(b.columns[0]!)}`
  );
}

function literal(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'object' && value !== null) return `${quoteLiteral(JSON.stringify(value))}::jsonb`;
  return quoteLiteral(String(value));
}

/** One filter as an SQL predicate; parameters are numbered through `params`. */
function predicateSql(
  f: FilterSpec,
  table: LogicalTable,
  params: { n: number },
  tsConfig: string,
  alias?: string,
): string {
  const target = f.expression ?? (alias ? `${alias}.${quoteIdent(f.field!)}` : quoteIdent(f.field!));
  const col = f.field ? table.columns.find((c) => c.name === f.field) : undefined;
  const v = () => (f.value !== undefined ? literal(f.value) : `$${++params.n}`);
  const cfg = quoteLiteral(tsConfig);
  switch (f.op) {
    case 'eq':
      return `${target} = ${v()}`;
    case 'ne':
      return `${target} <> ${v()}`;
    case 'in':
      return `${target} IN (${v()}, ${v()})`;
    case 'lt':
      return `${target} < ${v()}`;
    case 'lte':
      return `${target} <= ${v()}`;
    case 'gt':
      return `${target} > ${v()}`;
    case 'gte':
      return `${target} >= ${v()}`;
    case 'between':
      return `${target} BETWEEN ${v()} AND ${v()}`;
    case 'ieq':
      return `lower(${target}) = lower(${v()})`;
    case 'prefix':
      return `${target} LIKE ${v()} || '%'`;
    case 'contains':
      return `${target} ILIKE '%' || ${v()} || '%'`;
    case 'matches':
      return `${target} ~* ${v()}`;
    case 'has':
      return col?.field.type === 'json' || col?.field.pgType === 'jsonb'
        ? `${target} @> ${v()}::jsonb`
        : `${target} @> ${v()}`;
    case 'has-key':
      return `${target} ? ${v()}`;
    case 'search':
      return `to_tsvector(${cfg}, ${target}) @@ plainto_tsquery(${cfg}, ${v()})`;
    case 'is-null':
      return `${target} IS NULL`;
    case 'not-null':
      return `${target} IS NOT NULL`;
  }
}
