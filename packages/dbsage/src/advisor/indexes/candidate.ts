import { createHash } from 'node:crypto';
import { qualifiedName, quoteIdent } from '../../engines/postgres/quote.js';

/**
 * An index the advisor may recommend: one access method, ordered keys (columns or expressions, each with its
 * operator class and direction), INCLUDE columns and an optional partial predicate. The same value drives
 * what-if costing, DDL, naming and findings, so what is costed is exactly what is recommended.
 */

/** Access methods the advisor proposes. GiST/SP-GiST are left out: no workload construct here needs them. */
export const CANDIDATE_METHODS = ['btree', 'gin', 'brin', 'hash'] as const;
export type CandidateMethod = (typeof CANDIDATE_METHODS)[number];

/** Why a candidate exists; a candidate can carry several (a covering composite on a foreign key). */
export const CANDIDATE_KINDS = [
  'single',
  'composite',
  'ordered',
  'expression',
  'partial',
  'covering',
  'foreign-key',
  'trigram',
  'jsonb',
  'full-text',
  'array',
  'brin',
  'hash',
  'narrower',
] as const;
export type CandidateKind = (typeof CANDIDATE_KINDS)[number];

/** Runtime check for a candidate kind. */
export function isCandidateKind(value: unknown): value is CandidateKind {
  return typeof value === 'string' && (CANDIDATE_KINDS as readonly string[]).includes(value);
}

/** One key of a candidate index: a column or an expression. */
export interface CandidateKey {
  /** Column name, or null for an expression key. */
  column: string | null;
  /** Expression text as deparsed (`lower(email)`, `to_tsvector('english', body)`), or null. */
  expression: string | null;
  /** B-tree DESC (matches ORDER BY so a LIMIT query gets an ordered scan without a sort). */
  descending: boolean;
  /** Non-default operator class (`gin_trgm_ops`, `jsonb_path_ops`), or null for the default. */
  opclass: string | null;
}

/** A candidate index. */
export interface IndexCandidate {
  /** Canonical definition (identity across statements and runs). */
  readonly id: string;
  readonly schema: string;
  readonly table: string;
  readonly method: CandidateMethod;
  readonly keys: readonly CandidateKey[];
  readonly include: readonly string[];
  /** Partial-index predicate in SQL, or null. */
  readonly predicate: string | null;
  /** Columns the predicate references (for HOT and write-aware checks). */
  readonly predicateColumns: readonly string[];
  readonly kinds: readonly CandidateKind[];
  /** Deterministic index name (unique in the table's schema given the catalog). */
  readonly name: string;
}

/**
 * Extensions an index needs beyond core PostgreSQL: the trigram operator classes come with pg_trgm (PostgreSQL
 * documentation, F.35 pg_trgm).
 */
export function extensionsFor(c: Pick<IndexCandidate, 'keys'>): string[] {
  return c.keys.some((k) => k.opclass === 'gin_trgm_ops' || k.opclass === 'gist_trgm_ops') ? ['pg_trgm'] : [];
}

/** `CREATE EXTENSION IF NOT EXISTS` for an extension an index needs. */
export function extensionDdl(name: string): string {
  return `CREATE EXTENSION IF NOT EXISTS ${quoteIdent(name)}`;
}

/** The SQL text of one key as it appears in CREATE INDEX. */
export function keySql(key: CandidateKey, method: CandidateMethod): string {
  const base = key.column !== null ? quoteIdent(key.column) : `(${key.expression ?? ''})`;
  const opclass = key.opclass ? ` ${key.opclass}` : '';
  const dir = method === 'btree' && key.descending ? ' DESC' : '';
  return `${base}${opclass}${dir}`;
}

/** Canonical identity: method, keys, INCLUDE and predicate on one table. */
export function candidateId(c: Omit<IndexCandidate, 'id' | 'name' | 'kinds'>): string {
  const inc = c.include.length ? ` INCLUDE (${c.include.map(quoteIdent).join(', ')})` : '';
  const where = c.predicate ? ` WHERE ${c.predicate}` : '';
  return `${qualifiedName(c.schema, c.table)} USING ${c.method} (${c.keys.map((k) => keySql(k, c.method)).join(', ')})${inc}${where}`;
}

/** Every column a candidate touches (keys, expressions' columns, INCLUDE, predicate). */
export function candidateColumns(c: IndexCandidate, expressionColumns: (expr: string) => string[]): string[] {
  const out = new Set<string>();
  for (const k of c.keys) {
    if (k.column) out.add(k.column);
    else if (k.expression) for (const col of expressionColumns(k.expression)) out.add(col);
  }
  for (const i of c.include) out.add(i);
  for (const p of c.predicateColumns) out.add(p);
  return [...out];
}

const MAX_IDENT = 63;

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/'[^']*'/g, (m) => m.slice(1, -1))
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/**
 * The deterministic name: `<table>_<keys>[_<predicate>][_<kind>]_idx`, e.g. `orders_user_id_status_created_at_idx`,
 * `users_lower_email_idx`, `users_name_trgm_idx`, `users_created_at_banned_idx`. Names longer than PostgreSQL's
 * 63 bytes are cut and suffixed with a short hash of the definition; `taken` names get `_2`, `_3`, ….
 */
export function candidateName(c: Omit<IndexCandidate, 'id' | 'name' | 'kinds'>, taken: ReadonlySet<string>): string {
  const keyPart = c.keys
    .map((k) => {
      if (k.column) return slug(k.column);
      // to_tsvector('english', body) → body_english; lower(email) → lower_email
      return slug(k.expression ?? 'expr');
    })
    .join('_');
  const predPart = c.predicate ? `_${slug(c.predicate.replace(/\b[a-z_][a-z0-9_]*\s*(=|IS)\s*/gi, ''))}` : '';
  const suffix =
    c.method === 'gin'
      ? c.keys.some((k) => k.opclass === 'gin_trgm_ops')
        ? '_trgm_idx'
        : c.keys.some((k) => k.expression?.startsWith('to_tsvector'))
          ? '_fts_idx'
          : '_gin_idx'
      : c.method === 'brin'
        ? '_brin_idx'
        : c.method === 'hash'
          ? '_hash_idx'
          : c.include.length
            ? '_covering_idx'
            : '_idx';
  let base = `${slug(c.table)}_${keyPart}${predPart}${suffix}`;
  if (base.length > MAX_IDENT) {
    const hash = createHash('sha256').update(candidateId(c)).digest('hex').slice(0, 8);
    base = `${base.slice(0, MAX_IDENT - suffix.length - 9)}_${hash}${suffix}`;
  }
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base.slice(0, MAX_IDENT - String(n).length - 1)}_${n}`;
  return name;
}

/** Options of the DDL text. */
export interface DdlOptions {
  /** `CONCURRENTLY` (default true: never block writes on a live table). */
  concurrently?: boolean;
  /** `IF NOT EXISTS` (default true: a re-run migration is harmless). */
  ifNotExists?: boolean;
  /** Override the index name (what-if engines use their own). */
  name?: string;
}

/** `CREATE INDEX CONCURRENTLY IF NOT EXISTS name ON table USING method (keys) INCLUDE (...) WHERE ...`. */
export function candidateDdl(c: IndexCandidate, options: DdlOptions = {}): string {
  const conc = (options.concurrently ?? true) ? ' CONCURRENTLY' : '';
  const ine = (options.ifNotExists ?? true) ? ' IF NOT EXISTS' : '';
  const using = c.method === 'btree' ? '' : ` USING ${c.method}`;
  const inc = c.include.length ? ` INCLUDE (${c.include.map(quoteIdent).join(', ')})` : '';
  const where = c.predicate ? ` WHERE ${c.predicate}` : '';
  return `CREATE INDEX${conc}${ine} ${quoteIdent(options.name ?? c.name)} ON ${qualifiedName(c.schema, c.table)}${using} (${c.keys.map((k) => keySql(k, c.method)).join(', ')})${inc}${where}`;
}

/** Builds a full candidate (id and name) from its parts. */
export function makeCandidate(
  parts: Omit<IndexCandidate, 'id' | 'name'>,
  taken: ReadonlySet<string> = new Set(),
): IndexCandidate {
  return Object.freeze({ ...parts, id: candidateId(parts), name: candidateName(parts, taken) });
}

/** True when `a`'s keys are a (non-strict) prefix of `b`'s, same method, opclasses and predicate. */
export function isKeyPrefix(a: IndexCandidate, b: IndexCandidate): boolean {
  if (a.schema !== b.schema || a.table !== b.table || a.method !== b.method || a.predicate !== b.predicate) {
    return false;
  }
  if (a.keys.length > b.keys.length) return false;
  return a.keys.every((k, i) => sameKey(k, b.keys[i]!));
}

/** Two keys are the same column/expression with the same operator class and direction. */
export function sameKey(a: CandidateKey, b: CandidateKey): boolean {
  return (
    a.column === b.column && a.expression === b.expression && a.opclass === b.opclass && a.descending === b.descending
  );
}
