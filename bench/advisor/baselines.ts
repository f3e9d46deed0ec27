import type pg from 'pg';
import {
  candidateDdl,
  type IndexCandidate,
  makeCandidate,
} from '../../packages/dbsage/src/advisor/indexes/candidate.js';
import { type AstNode, loadParser, parseStatement } from '../../packages/dbsage/src/sql/parser.js';
import { HypoSession } from './hypo.js';
import { type BenchStatement, planIndexNames } from './statement.js';

/**
 * The two per-query baselines the advisor is scored against, implemented here from their published behaviour
 * (no code taken from either project):
 *
 * - **Dexter-like** (ankane/dexter, "Introducing Dexter", 2017, and its README): statements whose plan costs at
 *   least 100 are considered; hypothetical single-column B-trees on every column the statements mention are
 *   created together and every statement is planned (pass 1); then every ordered pair of those columns per table
 *   is added and the statements planned again (pass 2). A statement adopts the hypothetical indexes its plan uses:
 *   pass 2's when pass 1 cost more than 100 and pass 2 halved it (and pass 2 used a single index), else pass 1's
 *   when pass 1 halved the original cost — the 50 % saving rule — and at most two indexes per statement. Single
 *   columns that are the prefix of a chosen pair are dropped.
 * - **supabase index_advisor-like** (supabase/index_advisor README and docs): per statement, hypothetical
 *   single-column B-trees on every column of a primitive type (numbers, booleans, dates and times, text, uuid) of the
 *   tables it reads that has no single-column index yet, a generic plan (`force_generic_plan`), and the indexes
 *   that plan uses are the advice. No threshold.
 *
 * Both produce one index set per statement. To face the same storage budget as the advisor, each index gets a
 * benefit — Σ over the statements that chose it of calls × (cost before − cost after), split evenly among the
 * statement's indexes — and indexes are taken by decreasing benefit while their HypoPG size fits the budget.
 */

/** An index a baseline proposes, with what it is worth. */
export interface BaselineIndex {
  candidate: IndexCandidate;
  /** Σ calls × (cost before − cost after) of the statements that chose it, shared among their indexes. */
  benefit: number;
  /** HypoPG's size estimate, bytes. */
  sizeBytes: number;
  /** Statements that chose it. */
  statements: string[];
}

/** The output of a baseline: every index it would recommend, before any budget. */
export interface BaselineResult {
  method: 'dexter' | 'supabase';
  indexes: BaselineIndex[];
  whatIfCalls: number;
  wallMillis: number;
}

/** The tables and column names a statement mentions (RangeVar and ColumnRef nodes of its parse tree). */
export function referencedNames(sql: string): { tables: string[]; columns: string[] } {
  const tables = new Set<string>();
  const columns = new Set<string>();
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) {
      for (const x of n) walk(x);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const obj = n as AstNode;
    if (obj.RangeVar?.relname) tables.add(obj.RangeVar.relname as string);
    if (obj.ColumnRef) {
      const fields = (obj.ColumnRef.fields ?? []) as AstNode[];
      const last = fields[fields.length - 1];
      const name = last?.String?.sval ?? last?.String?.str;
      if (typeof name === 'string') columns.add(name);
    }
    for (const v of Object.values(obj)) walk(v);
  };
  walk(parseStatement(sql));
  return { tables: [...tables], columns: [...columns] };
}

interface ColumnInfo {
  table: string;
  column: string;
  type: string;
}

/** Columns of the public schema's ordinary tables, and the columns that already have a single-column index. */
async function readColumns(db: pg.Client): Promise<{ columns: ColumnInfo[]; singleIndexed: Set<string> }> {
  const cols = await db.query<ColumnInfo>(
    `SELECT c.relname AS table, a.attname AS column, t.typname AS type
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       JOIN pg_type t ON t.oid = a.atttypid
      WHERE n.nspname = 'public' AND c.relkind = 'r'
      ORDER BY c.relname, a.attnum`,
  );
  const idx = await db.query<{ table: string; column: string }>(
    `SELECT c.relname AS table, a.attname AS column
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
      WHERE n.nspname = 'public' AND i.indnatts = 1 AND i.indexprs IS NULL AND i.indpred IS NULL`,
  );
  return { columns: cols.rows, singleIndexed: new Set(idx.rows.map((r) => `${r.table}.${r.column}`)) };
}

/** Existing B-trees' leading one and two columns (an index with these keys already exists). */
async function existingPrefixes(db: pg.Client): Promise<Set<string>> {
  const r = await db.query<{ table: string; cols: string[] }>(
    `SELECT c.relname AS table,
            array(SELECT a.attname FROM unnest(i.indkey[0:1]) WITH ORDINALITY k(attnum, o)
                    JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.o)::text[] AS cols
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_am am ON am.oid = ic.relam JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND am.amname = 'btree' AND i.indexprs IS NULL`,
  );
  const out = new Set<string>();
  for (const row of r.rows) {
    out.add(`${row.table}(${row.cols.slice(0, 1).join(',')})`);
    if (row.cols.length > 1) out.add(`${row.table}(${row.cols.slice(0, 2).join(',')})`);
  }
  return out;
}

function btree(table: string, columns: readonly string[]): IndexCandidate {
  return makeCandidate({
    schema: 'public',
    table,
    method: 'btree',
    keys: columns.map((column) => ({ column, expression: null, descending: false, opclass: null })),
    include: [],
    predicate: null,
    predicateColumns: [],
    kinds: [columns.length > 1 ? 'composite' : 'single'],
  });
}

/** Accumulates per-index benefit and the statements behind it. */
class Ledger {
  readonly #byId = new Map<string, { candidate: IndexCandidate; benefit: number; statements: string[] }>();

  credit(candidates: readonly IndexCandidate[], statement: BenchStatement, saving: number): void {
    for (const c of candidates) {
      const e = this.#byId.get(c.id) ?? { candidate: c, benefit: 0, statements: [] };
      e.benefit += saving / candidates.length;
      if (!e.statements.includes(statement.id)) e.statements.push(statement.id);
      this.#byId.set(c.id, e);
    }
  }

  /** Moves `fromId`'s benefit and statements to `intoId` (an index that serves them as well). */
  fold(fromId: string, intoId: string): void {
    const from = this.#byId.get(fromId);
    const into = this.#byId.get(intoId);
    if (!from || !into || from === into) return;
    into.benefit += from.benefit;
    for (const s of from.statements) if (!into.statements.includes(s)) into.statements.push(s);
    this.#byId.delete(fromId);
  }

  entries() {
    return [...this.#byId.values()];
  }
}

/** Sizes every proposed index with HypoPG (one at a time). */
async function sized(hypo: HypoSession, ledger: Ledger): Promise<BaselineIndex[]> {
  const out: BaselineIndex[] = [];
  await hypo.reset();
  for (const e of ledger.entries()) {
    const h = await hypo.create(candidateDdl(e.candidate, { concurrently: false, ifNotExists: false }));
    out.push({
      candidate: e.candidate,
      benefit: e.benefit,
      statements: e.statements,
      sizeBytes: await hypo.size(h.oid),
    });
    await hypo.drop(h.oid);
  }
  return out.sort((a, b) => b.benefit - a.benefit || a.candidate.id.localeCompare(b.candidate.id));
}

const DEXTER_MIN_COST = 100;

/** Dexter-like advice for a whole workload (see the module comment). */
export async function dexterLike(db: pg.Client, statements: readonly BenchStatement[]): Promise<BaselineResult> {
  const started = performance.now();
  await loadParser();
  const hypo = new HypoSession(db);
  await hypo.reset();
  const { columns } = await readColumns(db);
  const prefixes = await existingPrefixes(db);
  const initial = new Map<string, number>();
  const targets: BenchStatement[] = [];
  const mentioned = new Set<string>();
  for (const st of statements) {
    const cost = (await hypo.plan(st))['Total Cost'];
    initial.set(st.id, cost);
    if (cost < DEXTER_MIN_COST) continue;
    targets.push(st);
    const names = referencedNames(st.sql);
    for (const c of columns) {
      if (names.tables.includes(c.table) && names.columns.includes(c.column)) mentioned.add(`${c.table}.${c.column}`);
    }
  }
  const byTable = new Map<string, string[]>();
  for (const c of columns) {
    if (!mentioned.has(`${c.table}.${c.column}`) || c.type === 'json' || c.type === 'jsonb') continue;
    byTable.set(c.table, [...(byTable.get(c.table) ?? []), c.column]);
  }
  const hypoName = new Map<string, IndexCandidate>();
  const createAll = async (width: 1 | 2) => {
    for (const [table, cols] of byTable) {
      const sets =
        width === 1 ? cols.map((c) => [c]) : cols.flatMap((a) => cols.filter((b) => b !== a).map((b) => [a, b]));
      for (const set of sets) {
        const cand = btree(table, set);
        const h = await hypo.create(candidateDdl(cand, { concurrently: false, ifNotExists: false }));
        hypoName.set(h.name, cand);
      }
    }
  };
  const pass = async () => {
    const out = new Map<string, { cost: number; used: IndexCandidate[] }>();
    for (const st of targets) {
      const plan = await hypo.plan(st);
      const used = planIndexNames(plan)
        .map((n) => hypoName.get(n))
        .filter((c): c is IndexCandidate => c !== undefined)
        .filter((c) => !prefixes.has(`${c.table}(${c.keys.map((k) => k.column).join(',')})`));
      out.set(st.id, { cost: plan['Total Cost'], used });
    }
    return out;
  };
  await createAll(1);
  const pass1 = await pass();
  await createAll(2);
  const pass2 = await pass();
  await hypo.reset();
  const ledger = new Ledger();
  for (const st of targets) {
    const cost0 = initial.get(st.id)!;
    const p1 = pass1.get(st.id)!;
    const p2 = pass2.get(st.id)!;
    const saving1 = p1.cost < cost0 * 0.5;
    let saving2 = p1.cost > DEXTER_MIN_COST && p2.cost < p1.cost * 0.5;
    let chosen = saving2 ? p2.used : p1.used;
    if (saving2 && chosen.length > 1) {
      chosen = p1.used;
      saving2 = false;
    }
    if (!(saving1 || saving2) || chosen.length === 0 || chosen.length > 2) continue;
    const newCost = saving2 ? p2.cost : p1.cost;
    ledger.credit(chosen, st, st.calls * Math.max(0, cost0 - newCost));
  }
  // A single column that is the prefix of a chosen pair is covered by the pair.
  for (const e of ledger.entries()) {
    if (e.candidate.keys.length !== 2) continue;
    ledger.fold(btree(e.candidate.table, [e.candidate.keys[0]!.column!]).id, e.candidate.id);
  }
  const indexes = await sized(hypo, ledger);
  return { method: 'dexter', indexes, whatIfCalls: hypo.explainCalls, wallMillis: performance.now() - started };
}

/** Types supabase's index_advisor indexes (its list of primitive type oids, by name). */
const PRIMITIVE_TYPES = new Set([
  'int8',
  'bool',
  'date',
  'timestamptz',
  'timestamp',
  'float8',
  'int4',
  'int2',
  'float4',
  'time',
  'uuid',
  'numeric',
  'text',
  'char',
  'bpchar',
  'varchar',
]);

/** supabase index_advisor-like advice, statement by statement (see the module comment). */
export async function supabaseLike(db: pg.Client, statements: readonly BenchStatement[]): Promise<BaselineResult> {
  const started = performance.now();
  await loadParser();
  const hypo = new HypoSession(db);
  const { columns, singleIndexed } = await readColumns(db);
  const ledger = new Ledger();
  for (const st of statements) {
    await hypo.reset();
    const before = (await hypo.plan(st, true))['Total Cost'];
    const { tables } = referencedNames(st.sql);
    const byName = new Map<string, IndexCandidate>();
    for (const c of columns) {
      if (!tables.includes(c.table) || !PRIMITIVE_TYPES.has(c.type) || singleIndexed.has(`${c.table}.${c.column}`))
        continue;
      const cand = btree(c.table, [c.column]);
      const h = await hypo.create(candidateDdl(cand, { concurrently: false, ifNotExists: false }));
      byName.set(h.name, cand);
    }
    const plan = await hypo.plan(st, true);
    const used = planIndexNames(plan)
      .map((n) => byName.get(n))
      .filter((c): c is IndexCandidate => c !== undefined);
    if (used.length > 0) ledger.credit(used, st, st.calls * Math.max(0, before - plan['Total Cost']));
  }
  await hypo.reset();
  const indexes = await sized(hypo, ledger);
  return { method: 'supabase', indexes, whatIfCalls: hypo.explainCalls, wallMillis: performance.now() - started };
}

/** Takes indexes by decreasing benefit while their sizes fit the budget (a smaller one may still fit later). */
export function underBudget(indexes: readonly BaselineIndex[], budgetBytes: number): BaselineIndex[] {
  const out: BaselineIndex[] = [];
  let used = 0;
  for (const ix of indexes) {
    if (ix.benefit <= 0) continue;
    if (used + ix.sizeBytes > budgetBytes) continue;
    out.push(ix);
    used += ix.sizeBytes;
  }
  return out;
}
