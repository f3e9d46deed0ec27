import { type Decision, decisionLine } from './decision.js';
import type { LogicalModel, LogicalTable } from './model/resolve.js';
import { parseFrequency } from './model/schema.js';
import { pgTypeOf } from './postgres/column-type.js';
import type { PostgresDesign } from './postgres/generate.js';

/**
 * The Mermaid ER diagram of a resolved model: every table with its columns (type, PK/FK/UK), every foreign key
 * as a crow's-foot edge labelled with its column. Renders on GitHub and GitLab as is.
 */
export function mermaidDiagram(logical: LogicalModel): string {
  const lines = ['erDiagram'];
  for (const t of logical.tables) {
    for (const fk of t.foreignKeys) {
      const col = t.columns.find((c) => c.name === fk.columns[0]);
      const parentSide = col?.field.required ? '||' : '|o';
      const childSide = fk.unique ? 'o|' : 'o{';
      lines.push(`  ${fk.refTable} ${parentSide}--${childSide} ${t.name} : "${fk.columns.join(', ')}"`);
    }
  }
  for (const t of logical.tables) {
    lines.push(`  ${t.name} {`);
    for (const c of t.columns) {
      const marks = columnMarks(t, c.name);
      const type = pgTypeOf(c.field)
        .replace(/\[\]$/, '_array')
        .replace(/[^A-Za-z0-9_]+/g, '_')
        .replace(/_+$/, '');
      lines.push(`    ${type} ${c.name}${marks.length > 0 ? ` ${marks.join(', ')}` : ''}`);
    }
    lines.push('  }');
  }
  return lines.join('\n');
}

function columnMarks(t: LogicalTable, column: string): string[] {
  const marks: string[] = [];
  if (t.primaryKey.includes(column)) marks.push('PK');
  if (t.foreignKeys.some((fk) => fk.columns.includes(column))) marks.push('FK');
  const col = t.columns.find((c) => c.name === column);
  if (col?.field.unique || t.uniques.some((u) => u.columns.length === 1 && u.columns[0] === column)) marks.push('UK');
  return marks;
}

/** Inputs of {@link rationaleMarkdown}. */
export interface RationaleInput {
  logical: LogicalModel;
  postgres?: PostgresDesign;
  mongo?: { decisions: readonly Decision[] };
}

/**
 * The design rationale: the ER diagram, one line per decision naming the access pattern or rule behind it,
 * and each access pattern with its SQL and the index that serves it.
 */
export function rationaleMarkdown(input: RationaleInput): string {
  const { logical, postgres, mongo } = input;
  const out: string[] = [`# Design rationale: ${logical.model.name}`, ''];
  if (logical.model.description) out.push(logical.model.description, '');
  out.push('## Entity-relationship diagram', '', '```mermaid', mermaidDiagram(logical), '```', '');
  if (postgres) {
    out.push('## PostgreSQL decisions', '');
    for (const d of postgres.decisions) out.push(decisionLine(d));
    out.push('');
  }
  if (mongo) {
    out.push('## MongoDB decisions', '');
    for (const d of mongo.decisions) out.push(decisionLine(d));
    out.push('');
  }
  if (logical.patterns.length > 0) {
    out.push('## Access patterns', '', '| pattern | kind | frequency | served by |', '| --- | --- | --- | --- |');
    for (const p of logical.patterns) {
      const freq = p.spec.frequency === undefined ? '' : `${formatRate(parseFrequency(p.spec.frequency) ?? 0)}`;
      const servedBy = postgres
        ? postgres.indexes
            .filter((ix) => ix.reasons.some((r) => r.basis === `pattern:${p.spec.name}`))
            .map((ix) => `\`${ix.name}\``)
            .join(', ')
        : '';
      out.push(`| ${p.spec.name} | ${p.spec.kind} | ${freq} | ${servedBy || '—'} |`);
    }
    out.push('');
    if (postgres) {
      out.push('### Access patterns as SQL', '');
      for (const p of logical.patterns) {
        out.push(`- **${p.spec.name}**: \`${postgres.patternSql.get(p.spec.name)}\``);
      }
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}

function formatRate(perSecond: number): string {
  if (perSecond >= 1) return `${Math.round(perSecond * 10) / 10}/s`;
  if (perSecond * 60 >= 1) return `${Math.round(perSecond * 600) / 10}/min`;
  return `${Math.round(perSecond * 36000) / 10}/h`;
}
