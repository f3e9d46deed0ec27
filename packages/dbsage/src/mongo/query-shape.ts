import { BSONRegExp } from 'bson';

/** How a filter uses a field, as far as index bounds go. */
export const PREDICATE_KINDS = ['equality', 'range', 'regex', 'other'] as const;
export type PredicateKind = (typeof PREDICATE_KINDS)[number];

/** What a regular expression allows an index to do. */
export interface RegexInfo {
  source: string;
  flags: string;
  /** `^prefix` without `i`: the server turns it into tight index bounds. */
  anchored: boolean;
  caseInsensitive: boolean;
}

/** One field predicate of a filter. */
export interface FieldPredicate {
  path: string;
  kind: PredicateKind;
  /** The operator (`$eq`, `$in`, `$gte`, `$regex`…), or `$eq` for a literal. */
  operator: string;
  regex?: RegexInfo;
}

/** A filter taken apart for index and lint rules. */
export interface FilterShape {
  /** AND-ed field predicates (what a single index can bound). */
  predicates: FieldPredicate[];
  /** Each `$or` branch, taken apart the same way (each needs its own index). */
  orBranches: FilterShape[];
  /** Script operators found (`$where`, `$function`, `$accumulator`). */
  scripts: string[];
  /** `$expr` present (only simple equality in it can use an index). */
  hasExpr: boolean;
  /** `$text` present (needs the text index). */
  hasText: boolean;
}

const RANGE_OPS = new Set(['$gt', '$gte', '$lt', '$lte']);
const OTHER_OPS = new Set(['$ne', '$nin', '$not', '$exists', '$type', '$size', '$all', '$mod', '$bitsAllSet']);
const SCRIPT_OPS = new Set(['$where', '$function', '$accumulator']);

/** Reads a regex from a RegExp, a BSONRegExp, or `{ $regex, $options }`. */
export function regexInfo(value: unknown, options?: unknown): RegexInfo | undefined {
  let source: string;
  let flags: string;
  if (value instanceof RegExp) {
    source = value.source;
    flags = value.flags;
  } else if (value instanceof BSONRegExp) {
    source = value.pattern;
    flags = value.options;
  } else if (typeof value === 'string') {
    source = value;
    flags = '';
  } else {
    return undefined;
  }
  if (typeof options === 'string') flags += options;
  const caseInsensitive = flags.includes('i');
  const anchored = (source.startsWith('^') || source.startsWith('\\A')) && !caseInsensitive;
  return { source, flags, anchored, caseInsensitive };
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (value instanceof Date || value instanceof RegExp || value instanceof BSONRegExp) return false;
  if ('_bsontype' in value) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => k.startsWith('$'));
}

/** Takes a query filter apart into predicates per field path. Pure. */
export function filterShape(filter: Readonly<Record<string, unknown>> | undefined, prefix = ''): FilterShape {
  const shape: FilterShape = { predicates: [], orBranches: [], scripts: [], hasExpr: false, hasText: false };
  if (!filter) return shape;
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$and' && Array.isArray(value)) {
      for (const part of value) merge(shape, filterShape(part as Record<string, unknown>, prefix));
      continue;
    }
    if ((key === '$or' || key === '$nor') && Array.isArray(value)) {
      for (const part of value) shape.orBranches.push(filterShape(part as Record<string, unknown>, prefix));
      continue;
    }
    if (SCRIPT_OPS.has(key)) {
      shape.scripts.push(key);
      continue;
    }
    if (key === '$expr') {
      shape.hasExpr = true;
      shape.scripts.push(...scriptsIn(value));
      continue;
    }
    if (key === '$text') {
      shape.hasText = true;
      continue;
    }
    if (key.startsWith('$')) continue; // $comment, $jsonSchema, $sampleRate…
    const path = prefix ? `${prefix}.${key}` : key;
    const direct = regexInfo(value instanceof RegExp || value instanceof BSONRegExp ? value : undefined);
    if (direct) {
      shape.predicates.push({ path, kind: 'regex', operator: '$regex', regex: direct });
      continue;
    }
    if (!isOperatorObject(value)) {
      shape.predicates.push({ path, kind: 'equality', operator: '$eq' });
      continue;
    }
    for (const [op, arg] of Object.entries(value)) {
      if (op === '$options') continue;
      if (op === '$eq') shape.predicates.push({ path, kind: 'equality', operator: op });
      else if (op === '$in') {
        const regexes = Array.isArray(arg) ? arg.map((a) => regexInfo(a instanceof RegExp ? a : undefined)) : [];
        const re = regexes.find((r) => r !== undefined);
        if (re) shape.predicates.push({ path, kind: 'regex', operator: '$in', regex: re });
        else shape.predicates.push({ path, kind: 'equality', operator: op });
      } else if (RANGE_OPS.has(op)) shape.predicates.push({ path, kind: 'range', operator: op });
      else if (op === '$regex') {
        const re = regexInfo(arg, value.$options);
        if (re) shape.predicates.push({ path, kind: 'regex', operator: op, regex: re });
      } else if (op === '$elemMatch' && typeof arg === 'object' && arg !== null) {
        const inner = filterShape(arg as Record<string, unknown>, path);
        const operatorOnly = Object.keys(arg).every((k) => k.startsWith('$'));
        if (operatorOnly) {
          const scalar = filterShape({ [key]: arg } as Record<string, unknown>, prefix);
          merge(shape, scalar);
        } else merge(shape, inner);
      } else if (OTHER_OPS.has(op)) shape.predicates.push({ path, kind: 'other', operator: op });
    }
  }
  return shape;
}

function merge(into: FilterShape, from: FilterShape): void {
  into.predicates.push(...from.predicates);
  into.orBranches.push(...from.orBranches);
  into.scripts.push(...from.scripts);
  into.hasExpr ||= from.hasExpr;
  into.hasText ||= from.hasText;
}

/** Script operators anywhere inside a value (`$function` in `$expr`, `$accumulator` in `$group`). */
export function scriptsIn(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (typeof v !== 'object' || v === null || v instanceof Date || '_bsontype' in v) return;
    for (const [k, x] of Object.entries(v)) {
      if (SCRIPT_OPS.has(k)) found.push(k);
      walk(x);
    }
  };
  walk(value);
  return found;
}

/**
 * The normalized shape of a value: literals become `1` (numbers), `'?'` (strings and other scalars), arrays keep
 * one element shape. Two operations with the same shape are the same query with different parameters.
 */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (value instanceof RegExp || value instanceof BSONRegExp) return { $regex: '?' };
  if (typeof value === 'object' && value !== null && !(value instanceof Date) && !('_bsontype' in value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = shapeOf(v);
    return out;
  }
  return '?';
}
