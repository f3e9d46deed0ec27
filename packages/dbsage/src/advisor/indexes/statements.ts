import { columnStats, findTable } from '../../catalog/lookup.js';
import type { Catalog, Table } from '../../catalog/types.js';
import { emptyStatementModel, extractStatement } from '../../sql/extract.js';
import type { ExtractedStatement, ValueRef } from '../../sql/extract-types.js';
import { type AstNode, loadParser, parseStatement } from '../../sql/parser.js';
import type { Workload, WorkloadStatement } from '../../workload/types.js';

/**
 * A workload statement prepared for what-if costing: parsed, its model extracted with catalog-resolved columns,
 * the tables it touches, and the text + parameters to EXPLAIN. Costing uses representative constants (the
 * workload's own example parameters, else values from pg_stats) and, separately, the generic plan; both are
 * recorded because a prepared statement may run with either.
 */
export interface AdvisorStatement {
  /** Workload fingerprint (identity). */
  readonly id: string;
  /** Normalized text, for reports. */
  readonly query: string;
  /** Text to EXPLAIN with {@link params} (the example when there is one, else the normalized text). */
  readonly sql: string;
  /** Representative parameter values in `$n` order; null when none could be found (generic plan only). */
  readonly params: readonly (string | null)[] | null;
  /** Where the representative parameters came from. */
  readonly paramSource: 'none-needed' | 'example' | 'pg_stats' | 'unavailable';
  /** Highest `$n` in {@link sql}. */
  readonly paramCount: number;
  readonly calls: number;
  readonly totalTimeMillis: number;
  readonly meanTimeMillis: number;
  readonly model: ExtractedStatement;
  /** Catalog tables the statement touches. */
  readonly tables: readonly Table[];
  /** Why it cannot be costed (utility statement, unknown tables, parse error), or null. */
  readonly unsupported: string | null;
}

function maxParam(node: unknown): number {
  let max = 0;
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const obj = n as AstNode;
    if (obj.ParamRef && typeof obj.ParamRef.number === 'number') max = Math.max(max, obj.ParamRef.number);
    for (const v of Object.values(obj)) walk(v);
  };
  walk(node);
  return max;
}

/** A typical value of a column: the middle histogram bound (a non-MCV value), else the first MCV. */
function representativeValue(catalog: Catalog, table: Table | undefined, column: string | null): string | null {
  if (!table || !column) return null;
  const stats = columnStats(catalog, table, column);
  if (!stats) return null;
  const h = stats.histogramBounds;
  if (h && h.length > 0) return h[Math.floor(h.length / 2)] ?? null;
  return stats.mostCommonValues?.[0] ?? null;
}

function paramsFromStats(
  catalog: Catalog,
  model: ExtractedStatement,
  count: number,
  tableOf: (name: string | null, schema: string | null) => Table | undefined,
): (string | null)[] | null {
  const out: (string | null | undefined)[] = new Array(count).fill(undefined);
  const assign = (v: ValueRef | undefined, value: string | null) => {
    if (!v) return;
    if (v.kind === 'param' && out[v.index - 1] === undefined) out[v.index - 1] = value;
    if (v.kind === 'list') for (const item of v.items) assign(item, value);
  };
  for (const p of model.predicates) {
    if (p.expression) continue; // a function of the column: the column's values do not fit the parameter
    const value = representativeValue(catalog, tableOf(p.table, p.schema), p.column);
    if (value === null) continue;
    assign(p.value, value);
    assign(p.upper, value);
  }
  if (model.limit?.kind === 'param' && out[model.limit.index - 1] === undefined) out[model.limit.index - 1] = '20';
  if (model.offset?.kind === 'param' && out[model.offset.index - 1] === undefined) out[model.offset.index - 1] = '0';
  if (out.some((v) => v === undefined)) return null;
  return out as (string | null)[];
}

/** Prepares one workload statement. Never throws: problems become {@link AdvisorStatement.unsupported}. */
export function prepareStatement(s: WorkloadStatement, catalog: Catalog): AdvisorStatement {
  const hasExample = s.example !== null && s.example.trim() !== '';
  const sql = hasExample ? s.example! : s.query;
  const base = {
    id: s.fingerprint,
    query: s.query,
    sql,
    calls: s.calls,
    totalTimeMillis: s.totalTimeMillis,
    meanTimeMillis: s.meanTimeMillis,
  };
  let ast: AstNode;
  try {
    ast = parseStatement(sql);
  } catch (error) {
    return {
      ...base,
      params: null,
      paramSource: 'unavailable',
      paramCount: 0,
      model: emptyStatementModel(),
      tables: [],
      unsupported: `does not parse: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const columnsOf = (table: string, schema: string | null) =>
    findTable(catalog, table, schema ?? undefined)?.columns.map((c) => c.name);
  const model = extractStatement(ast, { columnsOf });
  const tableOf = (name: string | null, schema: string | null) =>
    name === null ? undefined : findTable(catalog, name, schema ?? undefined);
  const tables: Table[] = [];
  for (const r of model.relations) {
    const t = tableOf(r.name, r.schema);
    if (t && !tables.includes(t) && (t.kind === 'table' || t.kind === 'partitioned' || t.kind === 'materialized-view'))
      tables.push(t);
  }
  const paramCount = maxParam(ast);
  let params: (string | null)[] | null = null;
  let paramSource: AdvisorStatement['paramSource'] = 'none-needed';
  if (paramCount > 0) {
    if (s.exampleParams && s.exampleParams.length >= paramCount && hasExample) {
      params = s.exampleParams.slice(0, paramCount);
      paramSource = 'example';
    } else {
      params = paramsFromStats(catalog, model, paramCount, tableOf);
      paramSource = params ? 'pg_stats' : 'unavailable';
    }
  } else {
    params = [];
  }
  let unsupported: string | null = null;
  if (model.kind === 'utility' || model.kind === 'insert') {
    unsupported = model.kind === 'insert' ? 'INSERT: no read an index could serve' : 'utility statement';
  } else if (tables.length === 0) unsupported = 'touches no table in the catalog';
  return { ...base, params, paramSource, paramCount, model, tables, unsupported };
}

/** Prepares every statement of a workload (loads the parser once). */
export async function prepareWorkload(workload: Workload, catalog: Catalog): Promise<AdvisorStatement[]> {
  await loadParser();
  return workload.statements.map((s) => prepareStatement(s, catalog));
}
