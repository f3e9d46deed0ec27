import { Binary, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import {
  largeDocuments,
  redundantIndexes,
  tooManyCollections,
  tooManyIndexes,
  unboundedArrays,
  unusedIndexes,
} from '../../../src/mongo/anti-patterns.js';
import { inferSchema } from '../../../src/mongo/schema.js';
import { DEFAULT_MONGO_THRESHOLDS, resolveThresholds } from '../../../src/mongo/thresholds.js';
import type { MongoCollection } from '../../../src/mongo/types.js';
import { dataset, index } from './dataset.js';

const t = { ...DEFAULT_MONGO_THRESHOLDS };
async function input(collections: (Partial<MongoCollection> & { name: string })[], extra = {}) {
  const ds = dataset(collections, [], extra);
  const schemas = new Map();
  for (const c of ds.collections.values())
    if (c.documents.length > 0) schemas.set(c.name, await inferSchema(c.name, c.documents));
  return { dataset: ds, schemas, thresholds: t };
}
const idAt = (day: number, n: number) =>
  new ObjectId(`${Math.floor(Date.UTC(2024, 0, 1 + day) / 1000).toString(16)}${n.toString(16).padStart(16, '0')}`);

describe('mongo-unbounded-array', () => {
  it('fires above 10 000 elements, with the numbers and a migration', async () => {
    const docs = [
      { _id: idAt(0, 1), likes: Array.from({ length: 10_001 }, (_, i) => i) },
      { _id: idAt(1, 2), likes: [1, 2] },
    ];
    const [f] = unboundedArrays(await input([{ name: 'posts', documents: docs, file: 'posts.ndjson', lines: [1, 2] }]));
    expect(f).toMatchObject({
      ruleId: 'mongo-unbounded-array',
      severity: 'high',
      evidence: {
        collection: 'posts',
        path: 'likes',
        longest: 10_001,
        threshold: 10_000,
        lengths: { max: 10_001, min: 2 },
      },
      location: { file: 'posts.ndjson', line: 1 },
    });
    expect(f!.remediation?.code).toContain('$merge: { into: "posts_likes" }');
  });

  it('fires for arrays that grow with document age, not for stable ones', async () => {
    const growing = Array.from({ length: 10 }, (_, i) => ({
      _id: idAt(i * 30, i),
      comments: Array.from({ length: (10 - i) * 40 }, (_, k) => ({ k })),
    }));
    const [f] = unboundedArrays(await input([{ name: 'posts', documents: growing }]));
    expect(f).toMatchObject({ severity: 'medium', evidence: { longest: 400, documentsWithAge: 10 } });
    expect(f!.evidence.ageLengthCorrelation).toBeGreaterThan(0.99);
    const stable = growing.map((d, i) => ({
      ...d,
      comments: Array.from({ length: 300 + ((i * 7) % 5) }, (_, k) => ({ k })),
    }));
    expect(unboundedArrays(await input([{ name: 'posts', documents: stable }]))).toEqual([]);
    const short = growing.map((d) => ({ ...d, comments: d.comments.slice(0, d.comments.length / 4) })); // longest 100 < 200
    expect(unboundedArrays(await input([{ name: 'posts', documents: short }]))).toEqual([]);
  });

  it('takes threshold overrides', () => {
    expect(resolveThresholds({ arrayElements: '5000' }).arrayElements).toBe(5000);
    expect(() => resolveThresholds({ nope: 1 })).toThrow(/unknown MongoDB threshold "nope"/);
    expect(() => resolveThresholds({ skip: -1 })).toThrow(/non-negative/);
  });
});

describe('mongo-large-document', () => {
  it('fires above 2 MB and names the biggest field', async () => {
    const docs = [
      { _id: 1, title: 'a', cover: new Binary(Buffer.alloc(2_200_000)) },
      { _id: 2, title: 'b' },
    ];
    const [f] = largeDocuments(await input([{ name: 'posts', documents: docs }]));
    expect(f).toMatchObject({
      ruleId: 'mongo-large-document',
      severity: 'high',
      evidence: { documentsOver: 1, sampled: 2, thresholdBytes: 2 * 1024 * 1024 },
    });
    expect((f!.evidence.largestFields as { field: string }[])[0]!.field).toBe('cover');
    expect(f!.remediation?.steps?.[0]).toMatch(/GridFS/);
  });
  it('is critical past 75% of 16 MiB, quiet under 2 MB', async () => {
    const huge = [{ _id: 1, blob: new Binary(Buffer.alloc(13_000_000)) }];
    expect(largeDocuments(await input([{ name: 'f', documents: huge }]))[0]!.severity).toBe('critical');
    expect(
      largeDocuments(await input([{ name: 'f', documents: [{ _id: 1, blob: new Binary(Buffer.alloc(2_000_000)) }] }])),
    ).toEqual([]);
  });
});

describe('index count, collection count, unused and redundant indexes', () => {
  const many = (n: number) => [
    index('_id_', { _id: 1 }),
    ...Array.from({ length: n - 1 }, (_, k) => index(`attrs.a${k}_1`, { [`attrs.a${k}`]: 1 })),
  ];
  it('reports more than 30 indexes and spots an attribute pattern', async () => {
    const [f] = tooManyIndexes(await input([{ name: 'products', indexes: many(31) }]));
    expect(f).toMatchObject({ evidence: { indexes: 31, threshold: 30, sharedPrefix: 'attrs', indexesOnPrefix: 30 } });
    expect(f!.remediation?.code).toContain('createIndex({ "attrs.$**": 1 })');
    expect(tooManyIndexes(await input([{ name: 'products', indexes: many(30) }]))).toEqual([]);
  });

  it('reports more than 100 collections with numbered families', async () => {
    const names = (n: number) => Array.from({ length: n }, (_, k) => `log_${2000 + k}`);
    const [f] = tooManyCollections(await input([], { collectionNames: names(101) }));
    expect(f).toMatchObject({ evidence: { collections: 101, numberedFamilies: [{ pattern: 'log_#', count: 101 }] } });
    expect(tooManyCollections(await input([], { collectionNames: names(100) }))).toEqual([]);
  });

  it('reports indexes $indexStats never saw used, except _id, unique and TTL', async () => {
    const acc = (ops: number) => ({ accesses: { ops, since: '2024-11-01T00:00:00Z' } });
    const indexes = [
      index('_id_', { _id: 1 }, acc(0)),
      index('title_1', { title: 1 }, acc(0)),
      index('email_1', { email: 1 }, { unique: true, ...acc(0) }),
      index('expires_1', { expiresAt: 1 }, { expireAfterSeconds: 0, ...acc(0) }),
      index('tags_1', { tags: 1 }, acc(12)),
      index('nostats', { x: 1 }),
    ];
    const found = unusedIndexes(await input([{ name: 'posts', indexes }]));
    expect(found.map((f) => f.evidence.index)).toEqual(['title_1']);
    expect(found[0]!.remediation?.code).toBe(
      'db.posts.hideIndex("title_1")\n// after a full business cycle without regressions:\ndb.posts.dropIndex("title_1")',
    );
  });

  it('reports left-prefix and duplicate indexes, but not unique, partial or collation ones', async () => {
    const indexes = [
      index('_id_', { _id: 1 }),
      index('a_1', { a: 1 }),
      index('a_1_b_-1', { a: 1, b: -1 }),
      index('a_-1_b_1_c_1', { a: -1, b: 1, c: 1 }),
      index('dup_b', { b: 1 }),
      index('b_1', { b: 1 }),
      index('u_a', { a: 1 }, { unique: true }),
      index('ci_a', { a: 1 }, { collation: { locale: 'en', strength: 2 } }),
      index('p_a', { a: 1 }, { partialFilterExpression: { a: { $exists: true } } }),
    ];
    const found = redundantIndexes(await input([{ name: 't', indexes }]));
    expect(found.map((f) => `${f.evidence.index}<${f.evidence.coveredBy}`)).toEqual([
      'a_1<a_1_b_-1',
      'a_1_b_-1<a_-1_b_1_c_1',
      'dup_b<b_1',
    ]);
  });
});
