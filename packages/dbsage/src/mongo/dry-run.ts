import { calculateObjectSize, deserialize, EJSON, serialize } from 'bson';
import { Aggregator } from 'mingo';
import type { MongoDocument } from './types.js';

type Stage = Readonly<Record<string, unknown>>;

/** Stages that hold all their input (or all groups) in memory before emitting: subject to the 100 MB limit. */
export const BLOCKING_STAGES = [
  '$group',
  '$sort',
  '$bucket',
  '$bucketAuto',
  '$sortByCount',
  '$facet',
  '$setWindowFields',
] as const;

/** What one stage did on the sample. */
export interface StageRun {
  index: number;
  operator: string;
  /** Documents out of the stage. */
  documents: number;
  /** Sum of the BSON sizes of the output documents, bytes. */
  bytes: number;
  /** Largest output document, bytes. */
  maxDocumentBytes: number;
  /** Not evaluated, and why (writes, scripts, an operator mingo lacks). Later stages are not run either. */
  skipped?: string;
}

/** A dry run of a pipeline on sampled documents. */
export interface DryRun {
  inputDocuments: number;
  inputBytes: number;
  stages: StageRun[];
  /** The final output, when every stage ran. */
  output?: MongoDocument[];
}

/** Options of {@link dryRun}. */
export interface DryRunOptions {
  /** Sampled documents of other collections, for `$lookup`, `$graphLookup`, `$unionWith`. */
  collections?: (name: string) => readonly MongoDocument[] | undefined;
}

/**
 * BSON size of documents, exact, with the sizes of shared sub-values cached: `$unwind` and `$lookup` emit many
 * documents that share the same arrays and sub-documents, and measuring each copy again is what would dominate
 * a dry run.
 */
export function sizeMeter(): (doc: MongoDocument) => number {
  const cache = new WeakMap<object, number>();
  const valueBytes = (v: unknown): number => {
    if (typeof v === 'object' && v !== null) {
      const hit = cache.get(v);
      if (hit !== undefined) return hit;
      const n = calculateObjectSize({ '': v }) - 7; // header 4, type 1, empty key 1, terminator 1
      cache.set(v, n);
      return n;
    }
    return calculateObjectSize({ '': v }) - 7;
  };
  return (doc) => {
    let n = 5;
    for (const [k, v] of Object.entries(doc)) {
      if (v === undefined) continue;
      n += 2 + Buffer.byteLength(k) + valueBytes(v);
    }
    return n;
  };
}

const sizeOf = (docs: readonly MongoDocument[], measure: (d: MongoDocument) => number) => {
  let bytes = 0;
  let max = 0;
  for (const d of docs) {
    const s = measure(d);
    bytes += s;
    if (s > max) max = s;
  }
  return { bytes, max };
};

/**
 * Runs a pipeline on sampled documents with mingo, one stage at a time, recording the documents and bytes each
 * stage emits. Script execution is disabled (`$where`, `$function`, `$accumulator` are not evaluated) and
 * `$out`/`$merge` are never run; inputs are cloned so the samples are never modified.
 */
export function dryRun(
  pipeline: readonly Stage[],
  documents: readonly MongoDocument[],
  options: DryRunOptions = {},
): DryRun {
  const measure = sizeMeter();
  const inputSize = sizeOf(documents, measure);
  const resolver = (name: string) => (options.collections?.(name) ?? []).map((d) => structuredCloneBson(d));
  let current: MongoDocument[] = documents.map((d) => structuredCloneBson(d));
  const stages: StageRun[] = [];
  let stopped: string | undefined;
  pipeline.forEach((stage, index) => {
    const operator = Object.keys(stage)[0] ?? '?';
    if (stopped) {
      stages.push({ index, operator, documents: 0, bytes: 0, maxDocumentBytes: 0, skipped: stopped });
      return;
    }
    if (operator === '$out' || operator === '$merge') {
      stopped = `${operator} writes to a collection; dry runs never write`;
      stages.push({ index, operator, documents: 0, bytes: 0, maxDocumentBytes: 0, skipped: stopped });
      return;
    }
    try {
      const agg = new Aggregator([stage as Record<string, unknown>], {
        scriptEnabled: false,
        collectionResolver: resolver,
      });
      current = agg.run(current) as MongoDocument[];
      const { bytes, max } = sizeOf(current, measure);
      stages.push({ index, operator, documents: current.length, bytes, maxDocumentBytes: max });
    } catch (error) {
      stopped = `not evaluated: ${(error as Error).message}`;
      stages.push({ index, operator, documents: 0, bytes: 0, maxDocumentBytes: 0, skipped: stopped });
    }
  });
  return {
    inputDocuments: documents.length,
    inputBytes: inputSize.bytes,
    stages,
    ...(stopped ? {} : { output: current }),
  };
}

/** Deep copy through BSON: keeps ObjectId, Date, Binary…; numbers stay numbers (Longs only when exact). */
function structuredCloneBson(doc: MongoDocument): MongoDocument {
  return deserialize(serialize(doc)) as MongoDocument;
}

/** Canonical text of a document: Extended JSON (canonical), key order kept (it is significant in BSON). */
export function canonical(doc: unknown): string {
  return EJSON.stringify(doc, { relaxed: true });
}

/**
 * Compares two pipeline results. `ordered` when the pipeline fixes the order (ends in a `$sort`, possibly
 * followed by `$limit`/`$skip`/`$project`); otherwise as multisets, since `$group` order is unspecified.
 */
export function sameResult(a: readonly unknown[], b: readonly unknown[], ordered: boolean): boolean {
  if (a.length !== b.length) return false;
  const ca = a.map(canonical);
  const cb = b.map(canonical);
  if (!ordered) {
    ca.sort();
    cb.sort();
  }
  return ca.every((x, i) => x === cb[i]);
}

/** Whether a pipeline's output order is defined: its last order-changing stage is a `$sort`. */
export function isOrdered(pipeline: readonly Stage[]): boolean {
  for (let i = pipeline.length - 1; i >= 0; i--) {
    const op = Object.keys(pipeline[i]!)[0];
    if (op === '$sort') return true;
    if (op === '$group' || op === '$bucket' || op === '$bucketAuto' || op === '$sortByCount' || op === '$unionWith')
      return false;
  }
  return true; // no reordering stage: natural order of the input is kept
}

/** Relaxed Extended JSON text of a value: plain JSON for reports (ObjectId as `{"$oid": …}`, dates as `{"$date": …}`). */
export function canonicalJson(value: unknown): string {
  return EJSON.stringify(value, { relaxed: true });
}
