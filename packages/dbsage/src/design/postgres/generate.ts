import { quoteIdent, quoteLiteral } from '../../engines/postgres/quote.js';
import type { Decision } from '../decision.js';
import type { LogicalColumn, LogicalModel, LogicalTable } from '../model/resolve.js';
import { defaultSql, fieldChecks, pgName, pgTypeOf } from './column-type.js';
import { deriveIndexes } from './derive-indexes.js';
import type { DesignIndex } from './design-index.js';

/** One statement of the migration with the decisions that explain it. */
export interface MigrationStatement {
  kind: 'extension' | 'function' | 'table' | 'foreign-key' | 'trigger' | 'index' | 'comment';
  sql: string;
  /** The table it belongs to, if any. */
  table: string | null;
}

/** The PostgreSQL side of a design. */
export interface PostgresDesign {
  /** The ordered migration as one SQL text (one transaction). */
  sql: string;
  statements: MigrationStatement[];
  /** Final index set (derived + declared, merged). */
  indexes: (DesignIndex & { name: string })[];
  decisions: Decision[];
  /** Each access pattern's SQL, as the candidate logic saw it. */
  patternSql: Map<string, string>;
  extensions: string[];
}

/**
 * Generates the PostgreSQL migration for a resolved model: extensions, the `updated_at` trigger function, tables
 * in foreign-key order (parents first; a cycle becomes ALTER TABLE … ADD CONSTRAINT after both tables exist),
 * triggers, then indexes. Every type, constraint and index is recorded as a {@link Decision}.
 */
export async function generatePostgres(logical: LogicalModel): Promise<PostgresDesign> {
  const decisions: Decision[] = [];
  const decide = (subject: string, decision: string, because: string, basis: string) =>
    decisions.push({ subject, decision, because, basis, target: 'postgres' });
  const statements: MigrationStatement[] = [];
  const derived = await deriveIndexes(logical);

  // Extensions.
  const extensions = new Set(logical.model.settings.extensions);
  const needs = (ext: string, why: string) => {
    if (!extensions.has(ext)) decide(`extension ${ext}`, 'CREATE EXTENSION', why, 'rule:extension-for-index');
    extensions.add(ext);
  };
  if (
    derived.indexes.some((ix) =>
      ix.keys.some((k) => k.opclass?.startsWith('gin_trgm') || k.opclass?.startsWith('gist_trgm')),
    )
  ) {
    needs('pg_trgm', 'trigram indexes need the gin_trgm_ops operator class');
  }
  for (const t of logical.tables) {
    for (const c of t.columns) {
      if (c.uuidGenerator?.startsWith('uuid_generate_'))
        needs('uuid-ossp', `${t.name}.${c.name} uses ${c.uuidGenerator}`);
    }
  }
  for (const ext of extensions) {
    statements.push({ kind: 'extension', sql: `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(ext)};`, table: null });
  }

  // The updated_at trigger function, once.
  const maintained = logical.tables.flatMap((t) => t.columns.filter((c) => c.onUpdateNow).map((c) => ({ t, c })));
  const maintainedColumns = [...new Set(maintained.map((m) => m.c.name))];
  for (const column of maintainedColumns) {
    statements.push({ kind: 'function', sql: triggerFunctionSql(column), table: null });
  }

  // Tables in dependency order.
  const { order, deferred } = dependencyOrder(logical.tables);
  for (const table of order) {
    statements.push({ kind: 'table', sql: createTableSql(table, deferred, decide), table: table.name });
    for (const sql of commentSql(table)) statements.push({ kind: 'comment', sql, table: table.name });
  }
  for (const { table, fk } of deferred) {
    statements.push({
      kind: 'foreign-key',
      sql: `ALTER TABLE ${quoteIdent(table.name)} ADD ${fkClause(table, fk)};`,
      table: table.name,
    });
  }

  // updated_at triggers.
  for (const { t, c } of maintained) {
    const name = pgName(t.name, 'set', c.name);
    statements.push({
      kind: 'trigger',
      sql: `CREATE TRIGGER ${quoteIdent(name)} BEFORE UPDATE ON ${quoteIdent(t.name)} FOR EACH ROW EXECUTE FUNCTION ${triggerFunctionName(c.name)}();`,
      table: t.name,
    });
    decide(
      `${t.name}.${c.name}`,
      `BEFORE UPDATE trigger ${name}`,
      'the column records the last change, so the database maintains it (an application that forgets to set it cannot make it lie)',
      c.field.onUpdate === 'now' ? 'model' : 'rule:updated-at-without-trigger',
    );
  }

  // Indexes.
  const used = new Set<string>(
    logical.tables.flatMap((t) => [pgName(t.name, 'pkey'), ...t.uniques.map((u) => u.name ?? '')]).filter(Boolean),
  );
  const named: (DesignIndex & { name: string })[] = [];
  for (const ix of derived.indexes) {
    let name = ix.name ?? indexName(ix);
    for (let i = 2; used.has(name); i++) name = pgName(indexName(ix).replace(/_idx$/, ''), `idx${i}`);
    used.add(name);
    const withName = { ...ix, name };
    named.push(withName);
    statements.push({ kind: 'index', sql: createIndexSql(withName), table: ix.table });
    for (const r of ix.reasons) decide(name, describeIndex(withName), r.because, r.basis);
  }
  for (const w of derived.writeCosts) decide(w.subject, 'write cost', w.because, w.basis);
  for (const s of derived.skipped) {
    for (const r of s.index.reasons) {
      decide(
        `${s.index.table} (${s.index.keys.map((k) => k.column ?? k.expression).join(', ')})`,
        'no separate index',
        `${r.because}; ${s.because}`,
        r.basis,
      );
    }
  }

  const header = [
    `-- dbsage design: ${logical.model.name}`,
    '-- An ordered migration: extensions, functions, tables (parents first), triggers, indexes.',
    '-- Indexes are built without CONCURRENTLY because their tables are created empty in this same transaction.',
  ];
  const body = statements.map((s) => s.sql).join('\n\n');
  const sql = `${header.join('\n')}\n\nBEGIN;\n\n${body}\n\nCOMMIT;\n`;
  return {
    sql,
    statements,
    indexes: named,
    decisions,
    patternSql: derived.patternSql,
    extensions: [...extensions],
  };
}

type Decide = (subject: string, decision: string, because: string, basis: string) => void;

/** The trigger function that sets `column` to now() (one per maintained column name). */
function triggerFunctionSql(column: string): string {
  return [
    `CREATE OR REPLACE FUNCTION ${triggerFunctionName(column)}() RETURNS trigger LANGUAGE plpgsql AS $$`,
    'BEGIN',
    `  NEW.${quoteIdent(column)} = now();`,
    '  RETURN NEW;',
    'END;',
    '$$;',
  ].join('\n');
}

/** `set_updated_at` for `updated_at`, `set_<column>` otherwise. */
export function triggerFunctionName(column: string): string {
  return pgName('set', column);
}

/** Topological order by foreign keys; edges that close a cycle are deferred to ALTER TABLE. */
function dependencyOrder(tables: LogicalTable[]): {
  order: LogicalTable[];
  deferred: { table: LogicalTable; fk: LogicalTable['foreignKeys'][number] }[];
} {
  const byName = new Map(tables.map((t) => [t.name, t]));
  const order: LogicalTable[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const deferred: { table: LogicalTable; fk: LogicalTable['foreignKeys'][number] }[] = [];
  const visit = (t: LogicalTable) => {
    if (state.get(t.name) === 'done') return;
    state.set(t.name, 'visiting');
    for (const fk of t.foreignKeys) {
      if (fk.refTable === t.name) continue;
      const parent = byName.get(fk.refTable);
      if (!parent) continue;
      if (state.get(parent.name) === 'visiting') deferred.push({ table: t, fk });
      else visit(parent);
    }
    state.set(t.name, 'done');
    order.push(t);
  };
  for (const t of tables) visit(t);
  return { order, deferred };
}

const ON_DELETE_SQL: Record<string, string> = {
  cascade: 'CASCADE',
  restrict: 'RESTRICT',
  'set null': 'SET NULL',
  'no action': 'NO ACTION',
};

function fkClause(table: LogicalTable, fk: LogicalTable['foreignKeys'][number]): string {
  const name = pgName(table.name, ...fk.columns, 'fkey');
  return `CONSTRAINT ${quoteIdent(name)} FOREIGN KEY (${fk.columns.map(quoteIdent).join(', ')}) REFERENCES ${quoteIdent(fk.refTable)} (${fk.refColumns.map(quoteIdent).join(', ')}) ON DELETE ${ON_DELETE_SQL[fk.onDelete]}`;
}

function columnSql(table: LogicalTable, c: LogicalColumn, decide: Decide): string {
  const subject = `${table.name}.${c.name}`;
  const type = pgTypeOf(c.field);
  const parts = [quoteIdent(c.name), type];
  if (c.identity) {
    parts.push('GENERATED ALWAYS AS IDENTITY');
    decide(
      subject,
      'bigint GENERATED ALWAYS AS IDENTITY',
      'SQL-standard identity instead of serial: the sequence belongs to the column, and bigint never overflows in practice',
      table.entity?.key ? 'model' : 'rule:serial-column',
    );
  } else {
    if (c.field.required || table.primaryKey.includes(c.name)) parts.push('NOT NULL');
    const d = c.uuidGenerator ?? defaultSql(c.field);
    if (d) parts.push(`DEFAULT ${d}`);
    if (c.uuidGenerator) {
      decide(
        subject,
        `uuid DEFAULT ${c.uuidGenerator}`,
        'uuid key: ids can be created by clients and do not reveal row counts; 16 bytes and random inserts cost more index space than bigint',
        'model',
      );
    }
  }
  if (!c.field.pgType) {
    if (c.field.type === 'timestamp') {
      decide(
        subject,
        'timestamptz',
        'an instant in time: timestamptz stores UTC and converts per session time zone',
        'rule:timestamp-without-time-zone',
      );
    } else if (c.field.type === 'json') {
      decide(subject, 'jsonb', 'binary JSON: indexable (GIN), no re-parsing on every read', 'rule:json-column');
    } else if (c.field.type === 'enum') {
      decide(
        subject,
        'text + CHECK (IN …)',
        'values can be added or removed by swapping the constraint; an enum type cannot drop a value',
        'rule:enum-as-check',
      );
    } else if (c.field.type === 'string' && c.field.maxLength !== undefined) {
      decide(
        subject,
        'text + CHECK (char_length)',
        'a length limit is a business rule: changing a CHECK does not rewrite the table as varchar(n) changes can',
        'rule:varchar-with-length',
      );
    } else if (c.field.type === 'string' && c.field.format === 'uuid') {
      decide(
        subject,
        'uuid',
        'format uuid: the native type is 16 bytes and rejects malformed values',
        'rule:uuid-as-text',
      );
    } else if (c.field.type === 'decimal') {
      decide(subject, type, 'exact decimal arithmetic (never float for money or quantities that must add up)', 'model');
    }
  } else {
    decide(subject, c.field.pgType, 'type kept as declared (pgType)', 'model');
  }
  return parts.join(' ');
}

function createTableSql(
  table: LogicalTable,
  deferred: { table: LogicalTable; fk: LogicalTable['foreignKeys'][number] }[],
  decide: Decide,
): string {
  const lines = table.columns.map((c) => columnSql(table, c, decide));
  const t = table.name;
  if (table.primaryKey.length > 0) {
    lines.push(
      `CONSTRAINT ${quoteIdent(pgName(t, 'pkey'))} PRIMARY KEY (${table.primaryKey.map(quoteIdent).join(', ')})`,
    );
  } else {
    decide(
      t,
      'no primary key',
      'key: none in the model (rows cannot be addressed or replicated logically one by one)',
      'model',
    );
  }
  if (table.kind === 'junction') {
    decide(
      t,
      `junction table, PRIMARY KEY (${table.primaryKey.join(', ')})`,
      'an N:M link is identified by its two ends: the composite key forbids duplicate links and needs no surrogate id',
      `relationship:${table.junctionOf!.relationship.from}-${table.junctionOf!.relationship.to}`,
    );
  } else if (table.keyKind === 'natural') {
    decide(t, `PRIMARY KEY (${table.primaryKey.join(', ')})`, 'natural key declared in the model', 'model');
  }
  for (const c of table.columns) {
    if (c.field.unique) {
      lines.push(`CONSTRAINT ${quoteIdent(pgName(t, c.name, 'key'))} UNIQUE (${quoteIdent(c.name)})`);
      decide(
        `${t}.${c.name}`,
        'UNIQUE',
        "unique in the model; the constraint's index also serves equality lookups",
        'model',
      );
    }
  }
  for (const u of table.uniques) {
    lines.push(
      `CONSTRAINT ${quoteIdent(u.name ?? pgName(t, ...u.columns, 'key'))} UNIQUE (${u.columns.map(quoteIdent).join(', ')})`,
    );
    decide(t, `UNIQUE (${u.columns.join(', ')})`, 'declared in the model', 'model');
  }
  for (const fk of table.foreignKeys) {
    if (fk.unique) {
      lines.push(
        `CONSTRAINT ${quoteIdent(pgName(t, ...fk.columns, 'key'))} UNIQUE (${fk.columns.map(quoteIdent).join(', ')})`,
      );
      decide(
        `${t}.${fk.columns.join(', ')}`,
        'UNIQUE',
        `1:1 relationship with ${fk.refTable}: at most one row per ${fk.refTable} row`,
        `relationship:${fk.relationship.from}-${fk.relationship.to}`,
      );
    }
  }
  for (const c of table.columns) {
    for (const check of fieldChecks(c.name, c.field)) {
      lines.push(`CONSTRAINT ${quoteIdent(pgName(t, c.name, check.suffix))} CHECK (${check.expression})`);
      decide(
        `${t}.${c.name}`,
        `CHECK (${check.expression})`,
        `${check.what} from the model, enforced where the data lives`,
        'model',
      );
    }
  }
  table.checks.forEach((c, i) => {
    lines.push(`CONSTRAINT ${quoteIdent(c.name ?? pgName(t, `check${i + 1}`))} CHECK (${c.expression})`);
  });
  for (const fk of table.foreignKeys) {
    const isDeferred = deferred.some((d) => d.fk === fk);
    if (!isDeferred) lines.push(fkClause(table, fk));
    decide(
      `${t}.${fk.columns.join(', ')}`,
      `REFERENCES ${fk.refTable} ON DELETE ${ON_DELETE_SQL[fk.onDelete]}`,
      fk.onDeleteReason,
      fk.onDeleteReason === 'explicit in the model'
        ? 'model'
        : `relationship:${fk.relationship.from}-${fk.relationship.to}`,
    );
  }
  return `CREATE TABLE ${quoteIdent(t)} (\n  ${lines.join(',\n  ')}\n);`;
}

function commentSql(table: LogicalTable): string[] {
  const out: string[] = [];
  const desc = table.entity?.description ?? table.junctionOf?.relationship.description;
  if (desc) out.push(`COMMENT ON TABLE ${quoteIdent(table.name)} IS ${quoteLiteral(desc)};`);
  for (const c of table.columns) {
    if (c.field.description) {
      out.push(
        `COMMENT ON COLUMN ${quoteIdent(table.name)}.${quoteIdent(c.name)} IS ${quoteLiteral(c.field.description)};`,
      );
    }
  }
  return out;
}

function keyPart(k: DesignIndex['keys'][number]): string {
  if (k.column) return k.column;
  const fts = /^\s*to_tsvector\s*\(/i.test(k.expression ?? '');
  const idents = (k.expression ?? '').replace(/'[^']*'/g, ' ').match(/[a-z_][a-z0-9_]*/gi) ?? [];
  const words = idents.filter((w) => !['text', 'regconfig', 'to_tsvector'].includes(w.toLowerCase()));
  return fts ? `${words.join('_')}_fts` : words.join('_');
}

/** Deterministic index name: table, key parts, method or opclass hint, partial predicate words. */
export function indexName(ix: DesignIndex): string {
  const parts = [ix.table, ...ix.keys.map(keyPart)];
  const opclass = ix.keys.find((k) => k.opclass)?.opclass;
  if (opclass?.includes('trgm')) parts.push('trgm');
  else if (opclass === 'jsonb_path_ops') parts.push('jsonb_path');
  else if (ix.method !== 'btree' && !parts[parts.length - 1]!.endsWith('_fts')) parts.push(ix.method);
  if (ix.predicate) {
    parts.push(...(ix.predicate.replace(/'([^']*)'/g, ' $1 ').match(/[a-z0-9_]+/gi) ?? []).map((w) => w.toLowerCase()));
  }
  return pgName(...parts, ix.unique ? 'key' : 'idx');
}

/** `CREATE INDEX` for a design index. */
export function createIndexSql(ix: DesignIndex & { name: string }): string {
  const keys = ix.keys
    .map((k) => {
      const target = k.column ? quoteIdent(k.column) : `(${k.expression})`;
      const nulls = k.nulls ? ` NULLS ${k.nulls.toUpperCase()}` : '';
      return `${target}${k.opclass ? ` ${k.opclass}` : ''}${k.descending ? ' DESC' : ''}${nulls}`;
    })
    .join(', ');
  const using = ix.method === 'btree' ? '' : ` USING ${ix.method}`;
  const include = ix.include.length > 0 ? ` INCLUDE (${ix.include.map(quoteIdent).join(', ')})` : '';
  const where = ix.predicate ? ` WHERE ${ix.predicate}` : '';
  return `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX ${quoteIdent(ix.name)} ON ${quoteIdent(ix.table)}${using} (${keys})${include}${where};`;
}

function describeIndex(ix: DesignIndex): string {
  const sql = createIndexSql({ ...ix, name: ix.name ?? '' });
  return sql.replace(/^CREATE (UNIQUE )?INDEX \S* ON /, ix.unique ? 'unique index on ' : 'index on ').replace(/;$/, '');
}
