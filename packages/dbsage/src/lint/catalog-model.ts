import type { Catalog, Table } from '../catalog/types.js';
import { catalogTypeInfo } from './ast.js';
import { type ModelTable, newTable, SchemaModel } from './schema-model.js';

/**
 * Seeds the lint schema model from the live catalog (`--db`): every table exists before the run (so DDL on it
 * is a real lock hazard) and carries its size, so lock findings can be ranked by what they would block.
 */
export function modelFromCatalog(catalog: Catalog): SchemaModel {
  const model = new SchemaModel(catalog.serverVersionNum);
  for (const t of catalog.tables) {
    if (t.kind === 'view') continue;
    model.addTable(tableFromCatalog(t));
  }
  for (const t of catalog.tables) {
    for (const trigger of t.triggers) {
      if (trigger.functionSource !== null) {
        const name = trigger.function.split('.').pop()!;
        model.functions.set(name, { name, volatility: 'volatile', source: trigger.functionSource });
      }
    }
  }
  return model;
}

function tableFromCatalog(t: Table): ModelTable {
  const table = newTable(t.schema, t.name, false, 'catalog');
  table.kind = t.kind;
  table.sizeBytes = t.heapBytes + t.toastBytes + t.indexBytes;
  table.rowEstimate = t.rowEstimate;
  table.inserted = t.activity?.nTupIns ?? null;
  table.columns = t.columns.map((c) => ({
    name: c.name,
    type: c.serialSequence
      ? catalogTypeInfo(c.type, c.typeName === 'int8' ? 'serial8' : c.typeName === 'int2' ? 'serial2' : 'serial4')
      : catalogTypeInfo(c.type, c.typeName),
    nullable: c.nullable,
    default: c.serialSequence ? null : c.default,
    identity: c.identity,
    serial: c.serialSequence !== null,
    generated: c.generated,
  }));
  table.constraints = t.constraints.map((c) => ({
    name: c.name,
    kind: c.kind,
    columns: [...c.columns],
    validated: c.validated,
    nullsNotDistinct: /NULLS NOT DISTINCT/i.test(c.definition),
    expression: c.kind === 'check' ? c.definition.replace(/^CHECK\s*/i, '').replace(/\s*NOT VALID$/i, '') : null,
    ...(c.references
      ? {
          references: {
            schema: c.references.schema,
            table: c.references.table,
            columns: [...c.references.columns],
            onDelete: c.references.onDelete,
          },
        }
      : {}),
    indexName: c.indexName ?? null,
    createdInRun: false,
  }));
  table.indexes = t.indexes.map((i) => ({
    name: i.name,
    schema: i.schema,
    table: i.table,
    method: i.method,
    keys: i.keys.map((k) => ({ column: k.column, expression: k.expression })),
    include: [...i.include],
    predicate: i.predicate,
    unique: i.unique,
    primary: i.primary,
    nullsNotDistinct: /NULLS NOT DISTINCT/i.test(i.definition),
    valid: i.valid,
    constraintName: i.constraintName,
    createdInRun: false,
  }));
  table.triggers = t.triggers.map((tr) => ({
    name: tr.name,
    timing: tr.timing,
    events: [...tr.events],
    forEachRow: tr.forEachRow,
    function: tr.function.split('.').pop()!,
    args: triggerArgs(tr.definition),
  }));
  return table;
}

/** Arguments of `… EXECUTE FUNCTION f('a', 'b')` as pg_get_triggerdef prints them. */
function triggerArgs(definition: string): string[] {
  const m = /EXECUTE (?:FUNCTION|PROCEDURE) [^(]+\((.*)\)\s*$/i.exec(definition);
  if (!m || m[1]!.trim() === '') return [];
  return m[1]!.split(',').map((a) => a.trim().replace(/^'(.*)'$/, '$1'));
}
