import { createRequire } from 'node:module';
import type { AstNode } from '../sql/parser.js';

type Deparse = (node: never, options: object) => string;
let deparseSync: Deparse | undefined;

/**
 * pgsql-deparser, loaded on first use: most runs deparse nothing (only findings that show an expression do),
 * and loading it is a visible share of `dbsage lint`'s start-up.
 */
function deparser(): Deparse {
  deparseSync ??= (createRequire(import.meta.url)('pgsql-deparser') as { deparseSync: Deparse }).deparseSync;
  return deparseSync;
}

/**
 * Small readers over libpg-query's JSON AST used by the replay and the rules. The JSON omits default values
 * (an integer 0 is `{}`, a false flag is absent), so every reader here supplies the default explicitly.
 */

/** A relation as written: schema (or null for search_path) and name. */
export interface RelName {
  schema: string | null;
  name: string;
}

/** Reads a `RangeVar` (`{ schemaname?, relname, location }`). */
export function rangeVar(node: AstNode | undefined): RelName | undefined {
  if (!node) return undefined;
  const rv = (node.RangeVar ?? node) as { schemaname?: string; relname?: string };
  if (!rv.relname) return undefined;
  return { schema: rv.schemaname ?? null, name: rv.relname };
}

/** Reads a list of `String` nodes (`[{String:{sval}}]`) into plain strings. */
export function strings(list: readonly AstNode[] | undefined): string[] {
  return (list ?? []).map((n) => (n.String?.sval as string | undefined) ?? '').filter((s) => s !== '');
}

/** Reads a dotted name from a `List` of `String`s, as `DROP INDEX s.i` and `DROP TABLE t` carry it. */
export function dottedName(node: AstNode): RelName {
  const parts = strings((node.List?.items ?? (Array.isArray(node) ? node : [])) as AstNode[]);
  if (parts.length >= 2) return { schema: parts[parts.length - 2]!, name: parts[parts.length - 1]! };
  return { schema: null, name: parts[0] ?? '' };
}

/** Integer value of an `A_Const` node (the JSON writes 0 as `{}`). */
export function intConst(node: AstNode | undefined): number | undefined {
  const c = node?.A_Const;
  if (!c) return undefined;
  if (c.ival !== undefined) return Number(c.ival.ival ?? 0);
  return undefined;
}

/** String value of an `A_Const` node. */
export function stringConst(node: AstNode | undefined): string | undefined {
  const c = node?.A_Const;
  if (!c) return undefined;
  if (c.sval !== undefined) return String(c.sval.sval ?? '');
  if (c.ival !== undefined) return String(c.ival.ival ?? 0);
  if (c.fval !== undefined) return String(c.fval.fval ?? '0');
  return undefined;
}

/** Deparses an expression node back to SQL for messages and fixes; never throws. */
export function exprText(node: AstNode | undefined): string {
  if (!node) return '';
  try {
    return deparser()(node as never, {}).trim();
  } catch {
    return '?';
  }
}

/** One lazily deparsed property: the expression node behind each object's text (and the text once read). */
interface LazyText {
  nodes: WeakMap<object, { node: AstNode | undefined; text?: string }>;
  accessor: PropertyDescriptor;
}

/** Per property name, shared by every object that has it. */
const lazyTexts = new Map<string, LazyText>();

function lazyTextProperty(key: string): LazyText {
  let lazy = lazyTexts.get(key);
  if (!lazy) {
    const nodes: LazyText['nodes'] = new WeakMap();
    const accessor: PropertyDescriptor = {
      configurable: true,
      enumerable: true,
      get(this: object) {
        const entry = nodes.get(this);
        if (!entry) return undefined;
        entry.text ??= exprText(entry.node);
        return entry.text;
      },
      set(this: object, value: unknown) {
        Object.defineProperty(this, key, { value, writable: true, configurable: true, enumerable: true });
      },
    };
    lazy = { nodes, accessor };
    lazyTexts.set(key, lazy);
  }
  return lazy;
}

/**
 * Defines `object[key]` as the deparsed text of `node`, computed on first read: most replayed CHECK and
 * DEFAULT expressions are never shown, and deparsing them all is a measurable share of a 10k-statement run.
 * Call it where the property is first added, in the order of the object's other properties: every object
 * gets the same getter and setter (the node is looked up per object), so objects built the same way share one
 * hidden class. Redefining an existing data property as an accessor, or a getter closed over each node, turns
 * every such object into a slow dictionary-mode object and every loop over a table's columns or constraints
 * into a megamorphic one.
 */
export function defineLazyText<T extends object>(object: T, key: keyof T & string, node: AstNode | undefined): void {
  const lazy = lazyTextProperty(key);
  lazy.nodes.set(object, { node });
  Object.defineProperty(object, key, lazy.accessor);
}

/** Aliases PostgreSQL resolves in the grammar, keyed by the name a user may write. */
const TYPE_ALIASES: Readonly<Record<string, string>> = {
  integer: 'int4',
  int: 'int4',
  bigint: 'int8',
  smallint: 'int2',
  serial: 'serial4',
  bigserial: 'serial8',
  smallserial: 'serial2',
  boolean: 'bool',
  real: 'float4',
  'double precision': 'float8',
  decimal: 'numeric',
  character: 'bpchar',
  char: 'bpchar',
  'character varying': 'varchar',
  'timestamp without time zone': 'timestamp',
  'timestamp with time zone': 'timestamptz',
  'time without time zone': 'time',
  'time with time zone': 'timetz',
};

/** Canonical base type name (`int4`, `varchar`, `timestamptz`, `serial8`, `citext`…). */
export function canonicalType(name: string): string {
  const lower = name.toLowerCase();
  return TYPE_ALIASES[lower] ?? lower;
}

/** A column type read from a `TypeName` node or from the catalog. */
export interface TypeInfo {
  /** Canonical base name, e.g. `varchar`, `int8`, `serial4`. */
  name: string;
  /** Type modifiers, e.g. `[255]` for varchar(255), `[10, 2]` for numeric(10,2). */
  typmods: number[];
  isArray: boolean;
  /** Display form, e.g. `varchar(255)`, `timestamptz`, `text[]`. */
  display: string;
}

/** Reads a `TypeName` node. */
export function typeInfo(node: AstNode | undefined): TypeInfo {
  const names = strings(node?.names as AstNode[] | undefined);
  const name = canonicalType(names[names.length - 1] ?? 'unknown');
  const typmods = ((node?.typmods as AstNode[] | undefined) ?? []).map((m) => intConst(m) ?? 0);
  const isArray = Array.isArray(node?.arrayBounds) && node.arrayBounds.length > 0;
  return { name, typmods, isArray, display: displayType(name, typmods, isArray) };
}

/** `varchar(255)`, `numeric(10,2)`, `text[]`. */
export function displayType(name: string, typmods: readonly number[], isArray: boolean): string {
  const shown = name === 'bpchar' ? 'char' : name;
  return `${shown}${typmods.length ? `(${typmods.join(',')})` : ''}${isArray ? '[]' : ''}`;
}

/** Reads a catalog type (`character varying(255)`, `_text`, `int4`) into the same shape as {@link typeInfo}. */
export function catalogTypeInfo(formatted: string, typeName: string): TypeInfo {
  const isArray = typeName.startsWith('_') || formatted.endsWith('[]');
  const base = canonicalType(isArray && typeName.startsWith('_') ? typeName.slice(1) : typeName);
  const m = /\(([\d,\s]+)\)/.exec(formatted);
  const typmods = m ? m[1]!.split(',').map((s) => Number(s.trim())) : [];
  return { name: base, typmods, isArray, display: displayType(base, typmods, isArray) };
}

/** Functions known not to be volatile (a default using only these does not rewrite the table on PG 11+). */
const NON_VOLATILE_FUNCTIONS = new Set([
  'now',
  'current_timestamp',
  'current_date',
  'current_time',
  'localtimestamp',
  'statement_timestamp',
  'transaction_timestamp',
  'lower',
  'upper',
  'coalesce',
  'concat',
  'length',
  'abs',
  'to_jsonb',
  'to_json',
  'jsonb_build_object',
  'json_build_object',
  'jsonb_build_array',
  'array_length',
  'make_interval',
  'make_date',
  'date_trunc',
  'current_user',
  'current_setting',
  'timezone',
]);

/** Functions known to be volatile: a default using one is evaluated per row and forces a rewrite. */
const VOLATILE_FUNCTIONS = new Set([
  'random',
  'gen_random_uuid',
  'uuid_generate_v1',
  'uuid_generate_v1mc',
  'uuid_generate_v4',
  'uuidv4',
  'uuidv7',
  'clock_timestamp',
  'timeofday',
  'nextval',
  'txid_current',
  'setseed',
  'random_normal',
]);

/** How a default expression behaves when a column is added. */
export type DefaultVolatility = 'constant' | 'stable' | 'volatile' | 'unknown';

/**
 * Classifies a default expression: a volatile (or unknown) function makes `ADD COLUMN … DEFAULT` rewrite the
 * table, since PostgreSQL 11 a constant or stable default is stored in the catalog instead.
 * `knownStable` holds user functions declared STABLE/IMMUTABLE in the run.
 */
export function defaultVolatility(node: AstNode | undefined, knownStable?: ReadonlySet<string>): DefaultVolatility {
  let result: DefaultVolatility = 'constant';
  const rank: Record<DefaultVolatility, number> = { constant: 0, stable: 1, unknown: 2, volatile: 3 };
  const raise = (v: DefaultVolatility) => {
    if (rank[v] > rank[result]) result = v;
  };
  walk(node, (n) => {
    if (n.FuncCall) {
      const name = strings(n.FuncCall.funcname).pop()?.toLowerCase() ?? '';
      if (VOLATILE_FUNCTIONS.has(name)) raise('volatile');
      else if (NON_VOLATILE_FUNCTIONS.has(name) || knownStable?.has(name)) raise('stable');
      else raise('unknown');
    } else if (n.SQLValueFunction) {
      raise('stable');
    } else if (n.SubLink) {
      raise('unknown');
    }
  });
  return result;
}

/** Visits every object node under `node` (depth first). */
export function walk(node: unknown, visit: (n: AstNode) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
  } else if (node && typeof node === 'object') {
    visit(node as AstNode);
    for (const value of Object.values(node)) if (value && typeof value === 'object') walk(value, visit);
  }
}

/** Column names referenced anywhere under an expression. */
export function columnRefs(node: AstNode | undefined): string[] {
  const out: string[] = [];
  walk(node, (n) => {
    if (n.ColumnRef) {
      const fields = strings(n.ColumnRef.fields);
      if (fields.length) out.push(fields[fields.length - 1]!);
    }
  });
  return out;
}

/** Byte offset (in the parsed text) of a node, when the parser recorded one. */
export function nodeLocation(node: AstNode | undefined): number | undefined {
  if (!node) return undefined;
  const inner = Object.values(node)[0] as { location?: number } | undefined;
  const loc = typeof node.location === 'number' ? node.location : inner?.location;
  return typeof loc === 'number' && loc >= 0 ? loc : undefined;
}

/** True when a VACUUM/REINDEX option list carries `name` (e.g. `full`, `concurrently`). */
export function hasOption(options: readonly AstNode[] | undefined, name: string): boolean {
  return (options ?? []).some((o) => {
    const d = o.DefElem;
    if (!d || d.defname !== name) return false;
    // `VACUUM (FULL false)` turns it off.
    const arg = d.arg;
    if (arg?.String?.sval !== undefined) return !/^(false|off|0)$/i.test(arg.String.sval);
    if (arg?.Boolean !== undefined) return Boolean(arg.Boolean.boolval);
    return true;
  });
}

/** UTF-8 length of an identifier: PostgreSQL truncates names longer than NAMEDATALEN-1 = 63 bytes. */
export function identifierBytes(name: string): number {
  return Buffer.byteLength(name, 'utf8');
}
