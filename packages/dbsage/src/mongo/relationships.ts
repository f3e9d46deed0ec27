import { ObjectId } from 'bson';
import { isSubdocument, valueAt, valueKey, valuesAt } from './paths.js';
import type { CollectionSchema } from './schema.js';
import type { MongoThresholds } from './thresholds.js';
import type { MongoCollection, MongoDataset } from './types.js';

/** Relationship kinds found in documents. */
export const RELATIONSHIP_KINDS = ['embedded', 'reference-array', 'reference'] as const;
export type RelationshipKind = (typeof RELATIONSHIP_KINDS)[number];

/** Zola's cardinality classes (one-to-few / one-to-many / one-to-squillions). */
export const CARDINALITIES = ['few', 'many', 'squillions'] as const;
export type Cardinality = (typeof CARDINALITIES)[number];

/** A field that copies a field of the referenced document (extended reference / denormalization). */
export interface DenormalizedField {
  /** Path of the copy in the holder (`authorName`, `comments.userName`). */
  path: string;
  /** Field of the referenced collection it copies. */
  source: string;
  /** Share of compared pairs whose values are equal. */
  agreement: number;
  compared: number;
}

/** One relationship between documents. */
export interface Relationship {
  kind: RelationshipKind;
  /** Collection holding the array or the reference. */
  collection: string;
  /** Path of the array (embedded, reference-array) or of the reference field (`authorId`, `comments.userId`). */
  path: string;
  /** Referenced collection, for references. */
  target?: string;
  /** How the target was recognised: share of sampled reference values found among the target's sampled `_id`s. */
  targetMatch?: number;
  /** For arrays: element counts per document. */
  lengths?: { p50: number; p95: number; max: number; documents: number };
  cardinality?: Cardinality;
  /** For references: holder documents per referenced document in the sample (how many copies a change touches). */
  fanIn?: { average: number; max: number };
  denormalized: DenormalizedField[];
}

/** Classifies an array length by the thresholds (largest seen length decides: that is what the array can reach). */
export function cardinalityOf(max: number, t: MongoThresholds): Cardinality {
  if (max <= t.fewMax) return 'few';
  if (max <= t.manyMax) return 'many';
  return 'squillions';
}

/** Reference values at a path (ObjectIds only; through arrays). */
function refValues(coll: MongoCollection, path: string): ObjectId[] {
  const out: ObjectId[] = [];
  for (const d of coll.documents) {
    for (const v of valuesAt(d, path)) {
      if (v instanceof ObjectId) out.push(v);
      else if (Array.isArray(v)) for (const x of v) if (x instanceof ObjectId) out.push(x);
    }
  }
  return out;
}

function singular(name: string): string {
  return name.replace(/ies$/, 'y').replace(/s$/, '');
}

/** Finds the collection a set of ObjectIds points at: the one whose sampled `_id`s contain most of them. */
function resolveTarget(
  dataset: MongoDataset,
  holder: string,
  path: string,
  values: readonly ObjectId[],
  ids: ReadonlyMap<string, Set<string>>,
): { target: string; match: number } | undefined {
  let best: { target: string; match: number } | undefined;
  const keys = values.map((v) => v.toHexString());
  for (const [name, set] of ids) {
    if (set.size === 0) continue;
    const hits = keys.filter((k) => set.has(k)).length;
    const match = keys.length > 0 ? hits / keys.length : 0;
    if (hits > 0 && (!best || match > best.match)) best = { target: name, match };
  }
  if (best) return { target: best.target, match: Math.round(best.match * 1000) / 1000 };
  // No sampled _id matched (partial samples): fall back to the field name (`userId` → `users`).
  const stem = (path.split('.').pop() ?? '').replace(/(_id|Id|_ids|Ids)$/, '').toLowerCase();
  if (!stem) return undefined;
  for (const name of dataset.collectionNames ?? [...dataset.collections.keys()]) {
    if (name !== holder && singular(name.toLowerCase()) === stem) return { target: name, match: 0 };
  }
  return undefined;
}

/** Fields of the reference's container (the document, or the array element) that copy a target field. */
function findDenormalized(
  holder: MongoCollection,
  refPath: string,
  target: MongoCollection,
  t: MongoThresholds,
): DenormalizedField[] {
  const byId = new Map<string, Record<string, unknown>>();
  for (const d of target.documents) if (d._id instanceof ObjectId) byId.set(d._id.toHexString(), d);
  const containerPath = refPath.includes('.') ? refPath.slice(0, refPath.lastIndexOf('.')) : '';
  const refField = refPath.slice(containerPath ? containerPath.length + 1 : 0);
  const pairs: { container: Record<string, unknown>; target: Record<string, unknown> }[] = [];
  for (const d of holder.documents) {
    const containers = containerPath ? valuesAt(d, containerPath).flatMap((v) => (Array.isArray(v) ? v : [v])) : [d];
    for (const c of containers) {
      if (!isSubdocument(c)) continue;
      const ref = c[refField];
      if (ref instanceof ObjectId) {
        const tdoc = byId.get(ref.toHexString());
        if (tdoc) pairs.push({ container: c, target: tdoc });
      }
    }
  }
  if (pairs.length < 3) return [];
  const siblings = new Set<string>();
  for (const p of pairs) for (const k of Object.keys(p.container)) if (k !== refField && k !== '_id') siblings.add(k);
  const targetFields = new Set<string>();
  for (const d of target.documents) for (const k of Object.keys(d)) if (k !== '_id') targetFields.add(k);
  const out: DenormalizedField[] = [];
  for (const s of siblings) {
    let best: DenormalizedField | undefined;
    for (const f of targetFields) {
      let equal = 0;
      let compared = 0;
      for (const p of pairs) {
        const a = p.container[s];
        const b = valueAt(p.target, f);
        if (a === undefined || b === undefined || isSubdocument(a) || Array.isArray(a)) continue;
        compared++;
        if (valueKey(a) === valueKey(b)) equal++;
      }
      const agreement = compared > 0 ? equal / compared : 0;
      if (compared >= 3 && agreement >= t.denormalizedAgreement && (!best || agreement > best.agreement)) {
        best = {
          path: containerPath ? `${containerPath}.${s}` : s,
          source: f,
          agreement: Math.round(agreement * 1000) / 1000,
          compared,
        };
      }
    }
    if (best) out.push(best);
  }
  return out;
}

function fanIn(holder: MongoCollection, path: string): { average: number; max: number } {
  const perTarget = new Map<string, number>();
  for (const d of holder.documents) {
    const seen = new Set<string>();
    for (const v of valuesAt(d, path)) {
      const vals = Array.isArray(v) ? v : [v];
      for (const x of vals) if (x instanceof ObjectId) seen.add(x.toHexString());
    }
    for (const k of seen) perTarget.set(k, (perTarget.get(k) ?? 0) + 1);
  }
  const counts = [...perTarget.values()];
  if (counts.length === 0) return { average: 0, max: 0 };
  return {
    average: Math.round((counts.reduce((a, b) => a + b, 0) / counts.length) * 100) / 100,
    max: Math.max(...counts),
  };
}

/**
 * Finds the relationships in the sampled documents: embedded arrays of sub-documents, arrays of ObjectId
 * references, and ObjectId reference fields (also inside embedded arrays), with the referenced collection
 * recognised from the sampled `_id`s, cardinality from array lengths, fan-in, and denormalized copies.
 */
export function findRelationships(
  dataset: MongoDataset,
  schemas: ReadonlyMap<string, CollectionSchema>,
  t: MongoThresholds,
): Relationship[] {
  const ids = new Map<string, Set<string>>();
  for (const c of dataset.collections.values()) {
    ids.set(c.name, new Set(c.documents.flatMap((d) => (d._id instanceof ObjectId ? [d._id.toHexString()] : []))));
  }
  const out: Relationship[] = [];
  for (const coll of dataset.collections.values()) {
    const schema = schemas.get(coll.name);
    if (!schema) continue;
    for (const field of schema.fields) {
      if (field.path === '_id' || field.path.endsWith('._id')) continue;
      const types = field.types.map((x) => x.type);
      const elements = field.elementTypes ?? [];
      const lengths = field.arrayLengths
        ? {
            p50: field.arrayLengths.p50,
            p95: field.arrayLengths.p95,
            max: field.arrayLengths.max,
            documents: field.arrayLengths.count,
          }
        : undefined;
      if (types.includes('Array') && elements.includes('Document') && lengths) {
        out.push({
          kind: 'embedded',
          collection: coll.name,
          path: field.path,
          lengths,
          cardinality: cardinalityOf(lengths.max, t),
          denormalized: [],
        });
        continue;
      }
      const isRefArray = types.includes('Array') && elements.includes('ObjectId');
      if (!isRefArray && !types.includes('ObjectId')) continue;
      const values = refValues(coll, field.path);
      const resolved = resolveTarget(dataset, coll.name, field.path, values, ids);
      if (!resolved || (resolved.target === coll.name && field.path === '_id')) continue;
      const target = dataset.collections.get(resolved.target);
      const rel: Relationship = {
        kind: isRefArray ? 'reference-array' : 'reference',
        collection: coll.name,
        path: field.path,
        target: resolved.target,
        targetMatch: resolved.match,
        ...(isRefArray && lengths ? { lengths, cardinality: cardinalityOf(lengths.max, t) } : {}),
        fanIn: fanIn(coll, field.path),
        denormalized: !isRefArray && target ? findDenormalized(coll, field.path, target, t) : [],
      };
      out.push(rel);
    }
  }
  return out;
}
