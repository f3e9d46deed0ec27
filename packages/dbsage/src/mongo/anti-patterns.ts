import { calculateObjectSize } from 'bson';
import type { Finding } from '../findings/finding.js';
import { collectionRef, formatBytes, mongoFinding, originLocation } from './finding.js';
import { indexesOrId, indexKey, isLeftPrefix, keySpec } from './index-advice.js';
import { documentCreatedAt, pearson, valueAt } from './paths.js';
import type { CollectionSchema } from './schema.js';
import type { MongoThresholds } from './thresholds.js';
import type { MongoCollection, MongoDataset, MongoIndex } from './types.js';

/** What the schema-level checks are given. */
export interface AntiPatternInput {
  dataset: MongoDataset;
  schemas: ReadonlyMap<string, CollectionSchema>;
  thresholds: MongoThresholds;
}

function location(coll: MongoCollection, docIndex: number | undefined) {
  const line = docIndex === undefined ? undefined : coll.lines?.[docIndex];
  return coll.file && line !== undefined ? originLocation({ file: coll.file, line }, coll.name) : { object: coll.name };
}

/** Array lengths per document at a path reached through sub-documents, with each document's index. */
function arrayLengths(coll: MongoCollection, path: string): { index: number; length: number }[] {
  const out: { index: number; length: number }[] = [];
  coll.documents.forEach((doc, index) => {
    const v = valueAt(doc, path);
    if (Array.isArray(v)) out.push({ index, length: v.length });
  });
  return out;
}

/**
 * `mongo-unbounded-array`: arrays over the advisor's 10 000 elements, or arrays whose length grows with document
 * age (older documents carry longer arrays: elements are appended forever). Both end in slow updates, large
 * multikey indexes and, eventually, the 16 MiB document limit.
 */
export function unboundedArrays({ dataset, schemas, thresholds: t }: AntiPatternInput): Finding[] {
  const findings: Finding[] = [];
  for (const coll of dataset.collections.values()) {
    const schema = schemas.get(coll.name);
    if (!schema) continue;
    for (const field of schema.fields) {
      if (!field.arrayLengths || field.arrayLengths.count === 0) continue;
      const lengths = arrayLengths(coll, field.path);
      if (lengths.length === 0) continue; // an array inside an array of sub-documents: reported at its parent
      const longest = lengths.reduce((a, b) => (b.length > a.length ? b : a));
      const ages: number[] = [];
      const lens: number[] = [];
      const newest = Math.max(...coll.documents.map((d) => documentCreatedAt(d) ?? Number.NEGATIVE_INFINITY));
      for (const { index, length } of lengths) {
        const created = documentCreatedAt(coll.documents[index]!);
        if (created === undefined) continue;
        ages.push(newest - created);
        lens.push(length);
      }
      const correlation = Math.round(pearson(ages, lens) * 1000) / 1000;
      const exceeds = longest.length > t.arrayElements;
      const growing =
        lens.length >= t.growthMinDocuments &&
        longest.length >= t.growthMinLength &&
        correlation >= t.growthCorrelation;
      if (!exceeds && !growing) continue;
      const elementTypes = field.elementTypes ?? [];
      const ofDocuments = elementTypes.includes('Document');
      const childName = `${coll.name}_${field.path.replace(/\./g, '_')}`;
      const ref = collectionRef(coll.name);
      const code = ofDocuments
        ? [
            `// 1. Move the elements to their own collection, each pointing at its parent (child → parent reference).`,
            `${ref}.aggregate([`,
            `  { $unwind: "$${field.path}" },`,
            `  { $replaceWith: { $mergeObjects: ["$${field.path}", { ${coll.name}Id: "$_id" }] } },`,
            `  { $merge: { into: "${childName}" } }`,
            `])`,
            `${collectionRef(childName)}.createIndex({ ${coll.name}Id: 1 })`,
            `// 2. Keep only the latest few embedded (subset pattern) and bound every future push.`,
            `${ref}.updateMany({}, [{ $set: { "${field.path}": { $slice: ["$${field.path}", -10] } } }])`,
            `// ${ref}.updateOne({ _id }, { $push: { "${field.path}": { $each: [element], $slice: -10 } } })`,
          ].join('\n')
        : [
            `// Store one document per element (child → parent reference) and keep a counter on the parent.`,
            `${ref}.aggregate([`,
            `  { $unwind: "$${field.path}" },`,
            `  { $project: { _id: 0, ${coll.name}Id: "$_id", value: "$${field.path}" } },`,
            `  { $merge: { into: "${childName}" } }`,
            `])`,
            `${collectionRef(childName)}.createIndex({ ${coll.name}Id: 1, value: 1 }, { unique: true })`,
            `${ref}.updateMany({}, [{ $set: { ${field.path.replace(/\./g, '_')}Count: { $size: "$${field.path}" } } }, { $unset: "${field.path}" }])`,
          ].join('\n');
      findings.push(
        mongoFinding({
          ruleId: 'mongo-unbounded-array',
          severity: exceeds ? 'high' : 'medium',
          title: exceeds
            ? `${coll.name}.${field.path} has an array of ${longest.length} elements (over ${t.arrayElements})`
            : `${coll.name}.${field.path} grows without bound (longer in older documents, r = ${correlation})`,
          summary:
            'Every append rewrites the whole document and every multikey index entry for it, and the array drags the document toward the 16 MiB limit. Bound it or move its elements to their own collection.',
          evidence: {
            collection: coll.name,
            path: field.path,
            elementTypes,
            lengths: field.arrayLengths,
            longest: longest.length,
            threshold: t.arrayElements,
            ageLengthCorrelation: correlation,
            documentsWithAge: lens.length,
            largestDocumentBytes: calculateObjectSize(coll.documents[longest.index]!),
          },
          identity: [dataset.database, coll.name, field.path],
          remediation: { code },
          location: location(coll, longest.index),
        }),
      );
    }
  }
  return findings;
}

/**
 * `mongo-large-document`: documents over 2 MB (the advisor's "bloated documents") and, critical, documents past
 * three quarters of the 16 MiB BSON limit, where the next append fails.
 */
export function largeDocuments({ dataset, schemas, thresholds: t }: AntiPatternInput): Finding[] {
  const findings: Finding[] = [];
  for (const coll of dataset.collections.values()) {
    const schema = schemas.get(coll.name);
    if (!schema || schema.documentBytes.max <= t.documentBytes) continue;
    const sizes = coll.documents.map((d) => calculateObjectSize(d));
    const over = sizes.filter((s) => s > t.documentBytes).length;
    const largest = coll.documents[schema.largestDocument]!;
    const fields = Object.entries(largest)
      .map(([k, v]) => ({ field: k, bytes: calculateObjectSize({ [k]: v }) }))
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 3);
    const nearLimit = schema.documentBytes.max >= t.documentLimitBytes * t.documentLimitShare;
    const big = fields[0]!;
    const value = largest[big.field];
    const binary =
      typeof value === 'object' && value !== null && (value as { _bsontype?: string })._bsontype === 'Binary';
    findings.push(
      mongoFinding({
        ruleId: 'mongo-large-document',
        severity: nearLimit ? 'critical' : 'high',
        title: `${coll.name} has documents up to ${formatBytes(schema.documentBytes.max)} (${over} of ${coll.documents.length} sampled over ${formatBytes(t.documentBytes)})`,
        summary: nearLimit
          ? 'A document this close to the 16 MiB BSON limit will soon reject writes; every read of it moves megabytes into the cache and over the network.'
          : 'Large documents crowd the working set out of the WiredTiger cache and make every read of them slow, even when the query needs a few fields.',
        evidence: {
          collection: coll.name,
          documentBytes: schema.documentBytes,
          documentsOver: over,
          sampled: coll.documents.length,
          thresholdBytes: t.documentBytes,
          limitBytes: t.documentLimitBytes,
          largestFields: fields,
        },
        identity: [dataset.database, coll.name],
        remediation: {
          steps: [
            binary
              ? `Move ${big.field} (binary, ${formatBytes(big.bytes)}) to GridFS or object storage and keep its id/URL in the document.`
              : `Split ${big.field} (${formatBytes(big.bytes)}) out into its own collection, referenced by the parent id (or keep a bounded subset embedded).`,
            'Project only the fields a query needs until the split is done.',
          ],
          code: `${collectionRef(coll.name)}.aggregate([{ $project: { _id: 1, bytes: { $bsonSize: "$$ROOT" } } }, { $match: { bytes: { $gt: ${t.documentBytes} } } }, { $sort: { bytes: -1 } }, { $limit: 20 }], { maxTimeMS: 60000 })`,
        },
        location: location(coll, schema.largestDocument),
      }),
    );
  }
  return findings;
}

/** `mongo-too-many-indexes`: more than 30 indexes on a collection (every write updates all of them). */
export function tooManyIndexes({ dataset, thresholds: t }: AntiPatternInput): Finding[] {
  const findings: Finding[] = [];
  for (const coll of dataset.collections.values()) {
    const indexes = coll.indexes ?? [];
    if (indexes.length <= t.indexesPerCollection) continue;
    const firstFields = indexes.map((ix) => Object.keys(ix.key)[0] ?? '');
    const prefixes = new Map<string, number>();
    for (const f of firstFields) {
      const p = f.includes('.') ? f.slice(0, f.indexOf('.')) : '';
      if (p) prefixes.set(p, (prefixes.get(p) ?? 0) + 1);
    }
    const common = [...prefixes.entries()].sort((a, b) => b[1] - a[1])[0];
    const attribute = common && common[1] >= indexes.length / 2 ? common[0] : undefined;
    findings.push(
      mongoFinding({
        ruleId: 'mongo-too-many-indexes',
        severity: 'medium',
        title: `${coll.name} has ${indexes.length} indexes (over ${t.indexesPerCollection})`,
        summary:
          'Every insert and every update of an indexed field writes to each index, and the indexes compete with the documents for cache. Drop the unused and redundant ones and merge the rest.',
        evidence: {
          collection: coll.name,
          indexes: indexes.length,
          threshold: t.indexesPerCollection,
          ...(attribute ? { sharedPrefix: attribute, indexesOnPrefix: common![1] } : {}),
        },
        identity: [dataset.database, coll.name],
        remediation: attribute
          ? {
              steps: [
                `${common![1]} indexes are on sub-fields of "${attribute}": use the attribute pattern (an array of { k, v } pairs with one compound index) or one wildcard index.`,
              ],
              code: `${collectionRef(coll.name)}.createIndex({ "${attribute}.$**": 1 })\n// or, with ${attribute} reshaped to [{ k, v }]:\n${collectionRef(coll.name)}.createIndex({ "${attribute}.k": 1, "${attribute}.v": 1 })`,
            }
          : { steps: ['Check $indexStats for unused indexes and drop indexes that are left prefixes of others.'] },
        location: { object: coll.name },
      }),
    );
  }
  return findings;
}

/**
 * `mongo-too-many-collections`: more than 100 collections in one database. Each collection and index is a
 * WiredTiger file with its own cache and checkpoint overhead; numbered families (`audit_2024_01`…) usually
 * belong in one collection with a field (or a time-series collection).
 */
export function tooManyCollections({ dataset, thresholds: t }: AntiPatternInput): Finding[] {
  const names = dataset.collectionNames ?? [...dataset.collections.keys()];
  if (names.length <= t.collections) return [];
  const families = new Map<string, number>();
  for (const n of names) {
    const f = n.replace(/\d+/g, '#');
    if (f !== n) families.set(f, (families.get(f) ?? 0) + 1);
  }
  const top = [...families.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return [
    mongoFinding({
      ruleId: 'mongo-too-many-collections',
      severity: 'medium',
      title: `database ${dataset.database} has ${names.length} collections (over ${t.collections})`,
      summary:
        'Every collection and index is a separate storage-engine file with its own overhead, and numbered families of collections multiply them. Merge each family into one collection keyed by a field.',
      evidence: {
        collections: names.length,
        threshold: t.collections,
        numberedFamilies: top.map(([pattern, count]) => ({ pattern, count })),
      },
      identity: [dataset.database],
      remediation: {
        steps: top.map(
          ([pattern, count]) =>
            `Merge the ${count} "${pattern}" collections into one with a field for the number (or a time-series collection), and index that field.`,
        ),
      },
      location: { object: dataset.database },
    }),
  ];
}

function droppable(ix: MongoIndex): boolean {
  return ix.name !== '_id_' && !ix.unique && ix.expireAfterSeconds === undefined;
}

/**
 * `mongo-unused-index`: `$indexStats` counted no operation since the counters started. Unique and TTL indexes are
 * left out (they work without being read).
 */
export function unusedIndexes({ dataset }: AntiPatternInput): Finding[] {
  const findings: Finding[] = [];
  for (const coll of dataset.collections.values()) {
    for (const ix of coll.indexes ?? []) {
      if (!ix.accesses || ix.accesses.ops > 0 || !droppable(ix)) continue;
      findings.push(
        mongoFinding({
          ruleId: 'mongo-unused-index',
          severity: 'low',
          title: `${coll.name}.${ix.name} was not used since ${ix.accesses.since ?? 'the counters started'}`,
          summary:
            'An unused index still costs a write on every insert and update and holds cache. Hide it first (instant, reversible), watch for slower queries, then drop it.',
          evidence: {
            collection: coll.name,
            index: ix.name,
            key: ix.key,
            ops: ix.accesses.ops,
            since: ix.accesses.since,
            note: '$indexStats counters reset on restart and are per member: check every member before dropping.',
          },
          identity: [dataset.database, coll.name, ix.name],
          remediation: {
            code: `${collectionRef(coll.name)}.hideIndex(${JSON.stringify(ix.name)})\n// after a full business cycle without regressions:\n${collectionRef(coll.name)}.dropIndex(${JSON.stringify(ix.name)})`,
          },
          location: { object: `${coll.name}.${ix.name}` },
        }),
      );
    }
  }
  return findings;
}

/** `mongo-redundant-index`: an index whose key is a left prefix of another index's key (or a duplicate). */
export function redundantIndexes({ dataset }: AntiPatternInput): Finding[] {
  const findings: Finding[] = [];
  for (const coll of dataset.collections.values()) {
    const indexes = indexesOrId(coll.indexes);
    for (const a of indexes) {
      if (!droppable(a) || a.partialFilterExpression || a.sparse || a.collation) continue;
      const ka = indexKey(a);
      const cover = indexes.find(
        (b) =>
          b !== a &&
          !b.partialFilterExpression &&
          !b.sparse &&
          !b.collation &&
          !b.hidden &&
          isLeftPrefix(ka, indexKey(b)) &&
          (indexKey(b).length > ka.length || b.name < a.name),
      );
      if (!cover) continue;
      findings.push(
        mongoFinding({
          ruleId: 'mongo-redundant-index',
          severity: 'low',
          title: `${coll.name}.${a.name} ${keySpec(ka)} is a left prefix of ${cover.name} ${keySpec(indexKey(cover))}`,
          summary:
            'Any query the shorter index serves, the longer one serves too (an index is usable by any left prefix of its key), so the shorter one only costs writes and cache.',
          evidence: {
            collection: coll.name,
            index: a.name,
            key: a.key,
            coveredBy: cover.name,
            coveredByKey: cover.key,
          },
          identity: [dataset.database, coll.name, a.name],
          remediation: {
            code: `${collectionRef(coll.name)}.hideIndex(${JSON.stringify(a.name)})\n${collectionRef(coll.name)}.dropIndex(${JSON.stringify(a.name)})`,
          },
          location: { object: `${coll.name}.${a.name}` },
        }),
      );
    }
  }
  return findings;
}
