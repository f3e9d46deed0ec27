import { ObjectId } from 'bson';
import type { MongoDocument } from './types.js';

/** Whether a value is a plain sub-document (not an array, Date, ObjectId or other BSON value). */
export function isSubdocument(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Date) &&
    !(value instanceof RegExp) &&
    !('_bsontype' in value) &&
    !ArrayBuffer.isView(value)
  );
}

/**
 * The values at a dotted path, descending through arrays the way MongoDB's query language does
 * (`items.sku` on `{ items: [{ sku: 'a' }, { sku: 'b' }] }` gives `['a', 'b']`). Arrays at the end of the path
 * are returned as one value.
 */
export function valuesAt(doc: unknown, path: string): unknown[] {
  const parts = path.split('.');
  let current: unknown[] = [doc];
  for (const part of parts) {
    const next: unknown[] = [];
    for (const v of current) {
      if (Array.isArray(v)) {
        for (const el of v) if (isSubdocument(el) && part in el) next.push(el[part]);
      } else if (isSubdocument(v) && part in v) next.push(v[part]);
    }
    current = next;
  }
  return current;
}

/** The value at a dotted path through sub-documents only (no arrays on the way). */
export function valueAt(doc: unknown, path: string): unknown {
  let v: unknown = doc;
  for (const part of path.split('.')) {
    if (!isSubdocument(v)) return undefined;
    v = v[part];
  }
  return v;
}

const CREATED_FIELDS = ['createdAt', 'created_at', 'created', 'insertedAt', 'date'];

/**
 * When a document was created, in epoch seconds: from an ObjectId `_id` (its first four bytes are the creation
 * time) or a creation-date field. `undefined` when neither exists.
 */
export function documentCreatedAt(doc: MongoDocument): number | undefined {
  const id = doc._id;
  if (id instanceof ObjectId) return id.getTimestamp().getTime() / 1000;
  for (const f of CREATED_FIELDS) {
    const v = doc[f];
    if (v instanceof Date) return v.getTime() / 1000;
  }
  return undefined;
}

/** Pearson correlation of two equal-length series; 0 when either is constant or shorter than 3. */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 3 || ys.length !== n) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return 0;
  return sxy / Math.sqrt(sxx * syy);
}

/** Stable text key for a BSON value (ObjectId hex, Date ISO, JSON otherwise), for joins over samples. */
export function valueKey(value: unknown): string {
  if (value instanceof ObjectId) return `oid:${value.toHexString()}`;
  if (value instanceof Date) return `date:${value.toISOString()}`;
  if (typeof value === 'object' && value !== null && '_bsontype' in value) return `bson:${String(value)}`;
  return `json:${JSON.stringify(value)}`;
}
