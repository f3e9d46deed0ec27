import { quoteIdent } from '../engines/postgres/quote.js';
import type { RelName } from './ast.js';
import { displayTable, type ModelTable } from './schema-model.js';

/**
 * Helpers shared by rules: naming objects in messages and writing fix DDL. Identifiers in generated SQL go
 * through the project's one quoting helper.
 */

/** `orders` / `billing.invoices` for a model table or a relation as written. */
export function nameOf(target: ModelTable | RelName | undefined): string {
  if (!target) return '?';
  if ('columns' in target) return displayTable(target);
  return target.schema && target.schema !== 'public' ? `${target.schema}.${target.name}` : target.name;
}

/** Quoted `schema.table` for fix SQL (schema omitted for public / unqualified). */
export function sqlName(target: ModelTable | RelName | undefined): string {
  if (!target) return '?';
  const schema = 'columns' in target ? target.schema : target.schema;
  return schema && schema !== 'public' ? `${quoteIdent(schema)}.${quoteIdent(target.name)}` : quoteIdent(target.name);
}

/** Quotes one identifier. */
export const q = quoteIdent;

/** Evidence about a locked table: its size when `--db` told us, and whether it is new. */
export function tableEvidence(table: ModelTable | undefined): Record<string, unknown> {
  if (!table) return { tableKnown: false };
  return {
    ...(table.sizeBytes !== null ? { tableBytes: table.sizeBytes } : {}),
    ...(table.rowEstimate !== null ? { rowEstimate: table.rowEstimate } : {}),
  };
}

/** The statement SET lines a safe migration starts with. */
export const LOCK_TIMEOUT_PREFIX = "SET lock_timeout = '2s';";
