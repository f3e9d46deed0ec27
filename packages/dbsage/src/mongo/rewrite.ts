/**
 * Detects `$unwind` + (`$match` on the elements) + `$group` by `_id` that only rebuilds the array, and writes
 * the array-expression equivalent (`$filter`/`$map`/`$reduce`), which works inside each document without
 * multiplying documents or holding every group in memory.
 */

type Stage = Readonly<Record<string, unknown>>;

/** A detected rebuild and, when every part converts, its rewrite. */
export interface UnwindGroupRebuild {
  /** Index of the `$unwind` stage. */
  start: number;
  /** Index of the `$group` stage. */
  end: number;
  arrayPath: string;
  /** The whole pipeline with the range replaced; absent when some part has no array-expression form. */
  rewritten?: Record<string, unknown>[];
  /** Why no rewrite was produced. */
  reason?: string;
}

function unwindPath(stage: Stage): string | undefined {
  const u = stage.$unwind;
  if (typeof u === 'string' && u.startsWith('$')) return u.slice(1);
  if (typeof u === 'object' && u !== null) {
    const spec = u as Record<string, unknown>;
    if (spec.preserveNullAndEmptyArrays || spec.includeArrayIndex) return undefined;
    if (typeof spec.path === 'string' && spec.path.startsWith('$')) return spec.path.slice(1);
  }
  return undefined;
}

const COMPARE: Record<string, string> = { $eq: '$eq', $ne: '$ne', $gt: '$gt', $gte: '$gte', $lt: '$lt', $lte: '$lte' };

/** Converts a `$match` on `A.f` fields into a `$filter` condition over `$$el`; undefined when not convertible. */
function matchToCond(match: Record<string, unknown>, arrayPath: string): unknown | undefined {
  const parts: unknown[] = [];
  for (const [field, value] of Object.entries(match)) {
    if (field === '$and' && Array.isArray(value)) {
      for (const m of value) {
        const c = matchToCond(m as Record<string, unknown>, arrayPath);
        if (c === undefined) return undefined;
        parts.push(c);
      }
      continue;
    }
    if (!field.startsWith(`${arrayPath}.`) && field !== arrayPath) return undefined;
    const ref = field === arrayPath ? '$$el' : `$$el.${field.slice(arrayPath.length + 1)}`;
    const isOps =
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.keys(value).every((k) => k.startsWith('$')) &&
      !('_bsontype' in value) &&
      !(value instanceof Date);
    if (!isOps) {
      parts.push({ $eq: [ref, value] });
      continue;
    }
    for (const [op, arg] of Object.entries(value as Record<string, unknown>)) {
      if (COMPARE[op]) parts.push({ [COMPARE[op]]: [ref, arg] });
      else if (op === '$in' && Array.isArray(arg)) parts.push({ $in: [ref, arg] });
      else if (op === '$nin' && Array.isArray(arg)) parts.push({ $not: [{ $in: [ref, arg] }] });
      else return undefined;
    }
  }
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { $and: parts };
}

/**
 * Finds the first `$unwind` … `$group: { _id: "$_id", … }` range in a pipeline where the group only rebuilds
 * per-document values from the unwound elements, and rewrites it with `$filter`/`$map`/`$reduce`.
 * The rewrite ends with `$match: { <array>.0: { $exists: true } }` when needed, because `$unwind` drops documents
 * whose array is empty or missing.
 */
export function findUnwindGroupRebuild(pipeline: readonly Stage[]): UnwindGroupRebuild | undefined {
  for (let i = 0; i < pipeline.length; i++) {
    const arrayPath = unwindPath(pipeline[i]!);
    if (!arrayPath) continue;
    const matches: Record<string, unknown>[] = [];
    let j = i + 1;
    while (j < pipeline.length && pipeline[j]!.$match) {
      matches.push(pipeline[j]!.$match as Record<string, unknown>);
      j++;
    }
    const group = pipeline[j]?.$group as Record<string, unknown> | undefined;
    if (group?._id !== '$_id') continue;
    const found: UnwindGroupRebuild = { start: i, end: j, arrayPath };
    let cond: unknown = true;
    if (matches.length > 0) {
      cond = matchToCond(matches.length === 1 ? matches[0]! : { $and: matches }, arrayPath);
      if (cond === undefined) return { ...found, reason: 'the $match between $unwind and $group has no $filter form' };
    }
    const elements = matches.length > 0 ? { $filter: { input: `$${arrayPath}`, as: 'el', cond } } : `$${arrayPath}`;
    const project: Record<string, unknown> = { _id: 1 };
    for (const [name, acc] of Object.entries(group)) {
      if (name === '_id') continue;
      const [op, arg] = Object.entries(acc as Record<string, unknown>)[0] ?? [];
      if (typeof arg !== 'string' || !arg.startsWith('$'))
        return { ...found, reason: `${name}: ${op} of an expression` };
      const path = arg.slice(1);
      const inArray = path === arrayPath || path.startsWith(`${arrayPath}.`);
      const sub = path === arrayPath ? '$$el' : `$$el.${path.slice(arrayPath.length + 1)}`;
      if (!inArray) {
        if (op === '$first' || op === '$last') {
          project[name] = arg;
          continue;
        }
        return { ...found, reason: `${name}: ${op} of a field outside the array` };
      }
      const mapped = path === arrayPath ? elements : { $map: { input: elements, as: 'el', in: sub } };
      if (op === '$push') project[name] = mapped;
      else if (op === '$sum') project[name] = { $sum: mapped };
      else if (op === '$max') project[name] = { $max: mapped };
      else if (op === '$min') project[name] = { $min: mapped };
      else if (op === '$avg') project[name] = { $avg: mapped };
      else if (op === '$addToSet') project[name] = { $setUnion: [mapped, []] };
      else return { ...found, reason: `${name}: ${op} has no array-expression form here` };
    }
    // $unwind drops documents without (matching) elements: keep that, before the projection changes the fields.
    const replacement: Record<string, unknown>[] = [
      { $match: { $expr: { $gt: [{ $size: { $ifNull: [elements, []] } }, 0] } } },
      { $project: project },
    ];
    const rewritten = [...pipeline.slice(0, i), ...replacement, ...pipeline.slice(j + 1)] as Record<string, unknown>[];
    return { ...found, rewritten };
  }
  return undefined;
}
