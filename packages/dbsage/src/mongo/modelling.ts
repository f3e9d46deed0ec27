import type { Finding, Severity } from '../findings/finding.js';
import { collectionRef, mongoFinding } from './finding.js';
import { lookupsIn } from './query-rules.js';
import type { Relationship } from './relationships.js';
import type { MongoThresholds } from './thresholds.js';
import type { MongoDataset, MongoOperation } from './types.js';

/** What modelling advice can recommend. */
export const MODEL_ADVICE = ['embed', 'reference-child-to-parent', 'reference-parent-to-children', 'hybrid'] as const;
export type ModelAdvice = (typeof MODEL_ADVICE)[number];

/** The access patterns of one relationship, from the workload (queries file or profiler), by frequency. */
export interface AccessPatterns {
  /** Reads of the holding collection. */
  holderReads: number;
  /** Reads of the holding collection that `$lookup` the target. */
  joinReads: number;
  /** Reads that reach the embedded elements on their own (`$unwind` of the array, or a filter on its fields). */
  elementReads: number;
  /** Updates that append to the array (`$push`/`$addToSet`). */
  appends: number;
  /** Target fields the joins read (`$user.name` after `$lookup … as: "user"`). */
  joinedFields: string[];
}

const READS = new Set(['find', 'aggregate', 'count', 'distinct']);

function updateDocs(op: MongoOperation): Record<string, unknown>[] {
  if (!op.update) return [];
  return (Array.isArray(op.update) ? op.update : [op.update]) as Record<string, unknown>[];
}

/** Fields an update writes (`$set`, `$unset`, `$inc`, pipeline `$set`/`$addFields`, or a replacement). */
export function updatedFields(op: MongoOperation): Set<string> {
  const out = new Set<string>();
  for (const u of updateDocs(op)) {
    for (const [k, v] of Object.entries(u)) {
      if (!k.startsWith('$')) {
        out.add(k);
        continue;
      }
      if (typeof v === 'object' && v !== null) for (const f of Object.keys(v)) out.add(f.split('.')[0]!);
    }
  }
  return out;
}

function referencedAfter(pipeline: readonly Record<string, unknown>[], as: string): string[] {
  const out = new Set<string>();
  const walk = (v: unknown) => {
    if (typeof v === 'string' && v.startsWith(`$${as}.`)) out.add(v.slice(as.length + 2).split('.')[0]!);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null && !('_bsontype' in v)) Object.values(v).forEach(walk);
  };
  pipeline.forEach(walk);
  return [...out];
}

/** Access patterns of a relationship from the dataset's operations. */
export function accessPatterns(rel: Relationship, dataset: MongoDataset): AccessPatterns {
  const ap: AccessPatterns = { holderReads: 0, joinReads: 0, elementReads: 0, appends: 0, joinedFields: [] };
  const joined = new Set<string>();
  const arrayPath = rel.kind === 'embedded' || rel.kind === 'reference-array' ? rel.path : undefined;
  for (const op of dataset.operations) {
    if (op.collection !== rel.collection) continue;
    if (READS.has(op.kind)) {
      ap.holderReads += op.frequency;
      const p = op.pipeline ?? [];
      for (const l of lookupsIn(p)) {
        if (l.from !== rel.target) continue;
        const local = typeof l.localField === 'string' ? l.localField : undefined;
        if (local !== undefined && local !== rel.path) continue;
        ap.joinReads += op.frequency;
        if (typeof l.as === 'string') for (const f of referencedAfter(p, l.as)) joined.add(f);
        break;
      }
      if (arrayPath) {
        const unwinds = p.some(
          (s) =>
            s.$unwind === `$${arrayPath}` ||
            (s.$unwind as Record<string, unknown> | undefined)?.path === `$${arrayPath}`,
        );
        const filters = [op.filter, ...p.map((s) => s.$match as Record<string, unknown> | undefined)].some(
          (f) => f !== undefined && Object.keys(f).some((k) => k.startsWith(`${arrayPath}.`)),
        );
        if (unwinds || filters) ap.elementReads += op.frequency;
      }
    }
    if (op.kind === 'update' && arrayPath) {
      for (const u of updateDocs(op)) {
        for (const opName of ['$push', '$addToSet']) {
          const spec = u[opName] as Record<string, unknown> | undefined;
          if (spec && Object.keys(spec).includes(arrayPath)) ap.appends += op.frequency;
        }
      }
    }
  }
  ap.joinedFields = [...joined];
  return ap;
}

/** Frequency of updates on `collection` that write any of `fields`. */
export function updateFrequency(dataset: MongoDataset, collection: string, fields: readonly string[]): number {
  let n = 0;
  for (const op of dataset.operations) {
    if (op.collection !== collection || op.kind !== 'update') continue;
    const written = updatedFields(op);
    if (fields.some((f) => written.has(f.split('.')[0]!))) n += op.frequency;
  }
  return n;
}

interface Advice {
  advice: ModelAdvice;
  severity: Severity;
  rule: string;
  tradeOff: string;
  steps: string[];
  code?: string;
  extra?: Record<string, unknown>;
}

const ratio = (a: number, b: number) =>
  b > 0 ? Math.round((a / b) * 1000) / 1000 : a > 0 ? Number.POSITIVE_INFINITY : 0;

function adviseEmbedded(rel: Relationship, ap: AccessPatterns, growing: boolean, t: MongoThresholds): Advice {
  const child = `${rel.collection}_${rel.path.replace(/\./g, '_')}`;
  const parentKey = `${rel.collection.replace(/s$/, '')}Id`;
  const max = rel.lengths?.max ?? 0;
  if (rel.cardinality === 'squillions' || (growing && ap.elementReads === 0 && rel.cardinality !== 'few')) {
    return {
      advice: 'reference-child-to-parent',
      severity: max > t.arrayElements ? 'high' : 'medium',
      rule: `one-to-squillions (or growing without bound): store the children in their own collection, each with a reference to its parent (${parentKey}).`,
      tradeOff: `Reading a ${rel.collection} document with its ${rel.path} becomes two queries (or a $lookup); in exchange documents stay small and appends are cheap inserts.`,
      steps: [`Create ${child} with ${parentKey}, index { ${parentKey}: 1 }, and migrate the elements.`],
      code: `${collectionRef(child)}.createIndex({ ${parentKey}: 1 })`,
    };
  }
  if (rel.cardinality === 'many' && (growing || ap.elementReads > 0)) {
    return {
      advice: 'hybrid',
      severity: 'medium',
      rule: `one-to-many that ${growing ? 'keeps growing' : 'is also queried on its own'}: subset pattern — keep the latest few embedded for the page that shows them, and all of them in a child collection with a reference to the parent.`,
      tradeOff: `Each new element is written twice (child collection + $push with $slice on the parent), and the embedded subset can lag; the parent stays bounded and the common read stays one query.`,
      steps: [
        `Create ${child} with ${parentKey} and index { ${parentKey}: 1, createdAt: -1 }.`,
        `Keep the latest 10 on the parent: $push: { ${rel.path}: { $each: [x], $slice: -10 } }.`,
      ],
      code: `${collectionRef(child)}.createIndex({ ${parentKey}: 1, createdAt: -1 })\n${collectionRef(rel.collection)}.updateOne({ _id: parentId }, { $push: { ${JSON.stringify(rel.path)}: { $each: [element], $slice: -10 } } })`,
    };
  }
  return {
    advice: 'embed',
    severity: 'info',
    rule: `one-to-${rel.cardinality ?? 'few'}, read with the parent: embed (data that is read together is stored together).`,
    tradeOff:
      rel.cardinality === 'many'
        ? `Fine while the array stays in the hundreds; watch its growth (largest: ${max}).`
        : 'Elements cannot be queried as documents of their own without $unwind; they need no join.',
    steps: [],
  };
}

function adviseReferenceArray(rel: Relationship, ap: AccessPatterns, t: MongoThresholds): Advice {
  const max = rel.lengths?.max ?? 0;
  if (rel.cardinality === 'squillions') {
    const child = `${rel.collection}_${rel.path.replace(/\./g, '_')}`;
    return {
      advice: 'reference-child-to-parent',
      severity: max > t.arrayElements ? 'high' : 'medium',
      rule: `one-to-squillions: an array of ${max} references belongs on the other side — one document per link, referencing the parent.`,
      tradeOff: `"Has X liked this?" becomes an indexed lookup and counts need a counter field; the parent stops growing with every link.`,
      steps: [
        `Create ${child} { ${rel.collection.replace(/s$/, '')}Id, ${rel.target?.replace(/s$/, '') ?? 'ref'}Id } with a unique compound index; keep a count on the parent.`,
      ],
    };
  }
  if (rel.cardinality === 'few' && ap.joinReads > 0 && (rel.fanIn?.max ?? 0) <= 1) {
    return {
      advice: 'embed',
      severity: 'low',
      rule: 'one-to-few, always joined and not shared with other parents: embed the referenced documents.',
      tradeOff: 'Saves a $lookup on every read; the children can no longer be read without their parent.',
      steps: [`Embed the ${rel.target} documents in ${rel.collection}.${rel.path}.`],
    };
  }
  return {
    advice: 'reference-parent-to-children',
    severity: 'info',
    rule: `one-to-${rel.cardinality ?? 'many'}: an array of references on the parent is right (children are shared or read on their own).`,
    tradeOff: 'Reading the children needs a second query or $lookup; the array must stay bounded.',
    steps: [],
  };
}

function adviseReference(rel: Relationship, ap: AccessPatterns, dataset: MongoDataset, t: MongoThresholds): Advice {
  const fan = rel.fanIn?.average ?? 0;
  if (rel.denormalized.length > 0) {
    const sources = rel.denormalized.map((d) => d.source);
    const updates = updateFrequency(dataset, rel.target!, sources);
    const r = ratio(updates * fan, ap.holderReads);
    const copies = rel.denormalized.map((d) => `${d.path} (copy of ${rel.target}.${d.source})`).join(', ');
    const writeCost = `each change to ${sources.map((s) => `${rel.target}.${s}`).join('/')} rewrites ${fan} ${rel.collection} documents on average (up to ${rel.fanIn?.max ?? 0}); at ${updates} updates per ${ap.holderReads} reads that is ${Math.round(updates * fan)} extra document writes`;
    const extra = {
      denormalized: rel.denormalized,
      sourceUpdates: updates,
      extraWrites: Math.round(updates * fan),
      extraWritesPerRead: r,
    };
    if (r >= t.denormalizedUpdateRatio) {
      return {
        advice: 'reference-child-to-parent',
        severity: 'medium',
        rule: 'extended reference only for fields that rarely change: these copies change too often for what the reads save.',
        tradeOff: `Write cost: ${writeCost}. Dropping the copies costs one $lookup (or second query) per read.`,
        steps: [
          `Stop copying ${sources.join(', ')} into ${rel.collection}; read them from ${rel.target} by ${rel.path}.`,
        ],
        extra,
      };
    }
    return {
      advice: 'hybrid',
      severity: 'info',
      rule: 'extended reference: keep the id plus the few fields every read shows, when those fields rarely change.',
      tradeOff: `Reads need no join; write cost: ${writeCost}, and copies are briefly stale between the two writes. Keep ${copies}. A copy that records the value at the time of an event (an order line's price) is a snapshot, not a denormalization: never update it.`,
      steps: [
        `When ${sources.map((s) => `${rel.target}.${s}`).join('/')} changes, update the copies in the same transaction or from a change stream.`,
      ],
      code: `${collectionRef(rel.collection)}.updateMany({ ${JSON.stringify(rel.path)}: id }, { $set: { ${rel.denormalized.map((d) => `${JSON.stringify(d.path.includes('.') ? d.path.replace(/^([^.]+)\./, '$1.$[e].') : d.path)}: new${d.source.replace(/^\w/, (c) => c.toUpperCase())}`).join(', ')} } }${rel.path.includes('.') ? `, { arrayFilters: [{ ${JSON.stringify(`e.${rel.path.split('.').pop()}`)}: id }] }` : ''})`,
      extra,
    };
  }
  const joinShare = ratio(ap.joinReads, ap.holderReads);
  if (ap.joinReads > 0 && joinShare >= t.lookupShare) {
    const fields = ap.joinedFields.length > 0 ? ap.joinedFields : ['name'];
    const updates = updateFrequency(dataset, rel.target!, fields);
    const r = ratio(updates * fan, ap.holderReads);
    const writeCost = `${updates} updates of ${fields.map((f) => `${rel.target}.${f}`).join('/')} × ${fan} ${rel.collection} documents each ≈ ${Math.round(updates * fan)} extra document writes per ${ap.holderReads} reads`;
    const extra = {
      joinShare,
      joinedFields: fields,
      sourceUpdates: updates,
      extraWrites: Math.round(updates * fan),
      extraWritesPerRead: r,
    };
    if (r < t.denormalizedUpdateRatio) {
      return {
        advice: 'hybrid',
        severity: 'low',
        rule: `extended reference: ${Math.round(joinShare * 100)}% of reads join ${rel.target} for ${fields.join(', ')}, which rarely change — copy them next to ${rel.path}.`,
        tradeOff: `Saves a $lookup on ${ap.joinReads} reads; write cost: ${writeCost}.`,
        steps: [
          `Store { ${rel.path}, ${fields.join(', ')} } of the ${rel.target?.replace(/s$/, '')} in each ${rel.collection.replace(/s$/, '')} and drop the $lookup.`,
        ],
        code: `${collectionRef(rel.collection)}.aggregate([\n  { $lookup: { from: ${JSON.stringify(rel.target)}, localField: ${JSON.stringify(rel.path)}, foreignField: "_id", as: "_t" } },\n  { $set: { ${fields.map((f) => `${JSON.stringify(`${rel.path.replace(/Id$/, '')}${f.replace(/^\w/, (c) => c.toUpperCase())}`)}: { $first: "$_t.${f}" }`).join(', ')} } },\n  { $unset: "_t" },\n  { $merge: { into: ${JSON.stringify(rel.collection)}, on: "_id", whenMatched: "merge" } }\n])`,
        extra,
      };
    }
    return {
      advice: 'reference-child-to-parent',
      severity: 'info',
      rule: `keep the reference: the joined fields (${fields.join(', ')}) change too often to copy.`,
      tradeOff: `Copying would cost ${writeCost}; the $lookup stays (index the foreign field).`,
      steps: [],
      extra,
    };
  }
  return {
    advice: 'reference-child-to-parent',
    severity: 'info',
    rule: 'child → parent reference: the many side points at the one side, the parent never grows with its children.',
    tradeOff: 'Reading both needs a second query or a $lookup; reads here rarely need them together.',
    steps: [],
  };
}

/**
 * `mongo-model-advice`: one finding per relationship, advising embed, reference (child → parent or parent →
 * children) or hybrid (subset pattern, extended reference), from cardinality (one-to-few / many / squillions),
 * the access patterns in the workload, and how often duplicated fields change. Each finding states the rule of
 * thumb applied and the trade-off.
 */
export function modellingAdvice(
  dataset: MongoDataset,
  relationships: readonly Relationship[],
  growingArrays: ReadonlySet<string>,
  t: MongoThresholds,
): Finding[] {
  return relationships.map((rel) => {
    const ap = accessPatterns(rel, dataset);
    const growing = growingArrays.has(`${rel.collection}.${rel.path}`);
    const a =
      rel.kind === 'embedded'
        ? adviseEmbedded(rel, ap, growing, t)
        : rel.kind === 'reference-array'
          ? adviseReferenceArray(rel, ap, t)
          : adviseReference(rel, ap, dataset, t);
    const what =
      rel.kind === 'embedded'
        ? `${rel.collection}.${rel.path} (embedded, one-to-${rel.cardinality})`
        : `${rel.collection}.${rel.path} → ${rel.target}${rel.cardinality ? ` (one-to-${rel.cardinality})` : ''}`;
    return mongoFinding({
      ruleId: 'mongo-model-advice',
      severity: a.severity,
      title: `${what}: ${a.advice}`,
      summary: `Rule of thumb: ${a.rule}`,
      evidence: {
        relationship: rel.kind,
        collection: rel.collection,
        path: rel.path,
        ...(rel.target ? { target: rel.target, targetMatch: rel.targetMatch } : {}),
        ...(rel.lengths ? { lengths: rel.lengths, cardinality: rel.cardinality } : {}),
        ...(rel.fanIn ? { fanIn: rel.fanIn } : {}),
        growing,
        accessPatterns: ap,
        advice: a.advice,
        ruleOfThumb: a.rule,
        tradeOff: a.tradeOff,
        ...(a.extra ?? {}),
      },
      identity: [dataset.database, rel.collection, rel.path, rel.target],
      ...(a.steps.length > 0 || a.code
        ? { remediation: { ...(a.steps.length > 0 ? { steps: a.steps } : {}), ...(a.code ? { code: a.code } : {}) } }
        : {}),
      location: { object: `${rel.collection}.${rel.path}` },
    });
  });
}
