import { quoteIdent } from '../engines/postgres/quote.js';
import type { AstNode } from '../sql/parser.js';
import { type RelName, strings } from './ast.js';
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

/**
 * Constraints of one kind (`CONSTR_PRIMARY`, `CONSTR_UNIQUE`, …) that an ALTER TABLE adds, either as
 * `ADD CONSTRAINT` or inline on `ADD COLUMN`, with their columns.
 */
export function addedConstraints(alter: AstNode, contype: string): { k: AstNode; cols: string[] }[] {
  const found: { k: AstNode; cols: string[] }[] = [];
  for (const c of (alter.cmds ?? []) as AstNode[]) {
    const cmd = c.AlterTableCmd;
    if (!cmd) continue;
    if (cmd.subtype === 'AT_AddConstraint' && cmd.def?.Constraint?.contype === contype) {
      found.push({ k: cmd.def.Constraint, cols: strings(cmd.def.Constraint.keys) });
    }
    if (cmd.subtype === 'AT_AddColumn') {
      for (const k of (cmd.def?.ColumnDef?.constraints ?? []) as AstNode[]) {
        if (k.Constraint?.contype === contype)
          found.push({ k: k.Constraint, cols: [String(cmd.def.ColumnDef.colname)] });
      }
    }
  }
  return found;
}
