import { ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { modellingAdvice } from '../../../src/mongo/modelling.js';
import { cardinalityOf, findRelationships } from '../../../src/mongo/relationships.js';
import { inferSchema } from '../../../src/mongo/schema.js';
import { DEFAULT_MONGO_THRESHOLDS } from '../../../src/mongo/thresholds.js';
import type { MongoDataset, MongoOperation } from '../../../src/mongo/types.js';
import { dataset } from './dataset.js';

const t = { ...DEFAULT_MONGO_THRESHOLDS };
const users = Array.from({ length: 6 }, (_, i) => ({ _id: new ObjectId(), name: `user ${i}` }));

async function advise(ds: MongoDataset, growing: string[] = []) {
  const schemas = new Map();
  for (const c of ds.collections.values())
    if (c.documents.length > 0) schemas.set(c.name, await inferSchema(c.name, c.documents));
  const rels = findRelationships(ds, schemas, t);
  return { rels, findings: modellingAdvice(ds, rels, new Set(growing), t) };
}
const byPath = <F extends { evidence: Record<string, unknown> }>(findings: readonly F[], path: string): F =>
  findings.find((f) => f.evidence.path === path)!;

describe('cardinality classes (Zola)', () => {
  it('few ≤ 50, many ≤ 1000, squillions beyond', () => {
    expect([cardinalityOf(50, t), cardinalityOf(51, t), cardinalityOf(1000, t), cardinalityOf(1001, t)]).toEqual([
      'few',
      'many',
      'many',
      'squillions',
    ]);
  });
});

describe('modelling advice', () => {
  it('embeds one-to-few arrays read with their parent', async () => {
    const orders = users.map((u) => ({
      _id: new ObjectId(),
      userId: u._id,
      items: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 2 },
      ],
    }));
    const { findings } = await advise(
      dataset([
        { name: 'users', documents: users },
        { name: 'orders', documents: orders },
      ]),
    );
    expect(byPath(findings, 'items')).toMatchObject({
      ruleId: 'mongo-model-advice',
      severity: 'info',
      evidence: { advice: 'embed', cardinality: 'few', relationship: 'embedded' },
    });
    expect(byPath(findings, 'items').evidence.ruleOfThumb).toMatch(/^one-to-few/);
    // orders.userId → users recognised from the sampled _ids, child → parent reference kept
    expect(byPath(findings, 'userId')).toMatchObject({
      evidence: {
        relationship: 'reference',
        target: 'users',
        targetMatch: 1,
        advice: 'reference-child-to-parent',
        fanIn: { average: 1, max: 1 },
      },
    });
  });

  it('advises the subset pattern for a growing one-to-many that is also queried on its own', async () => {
    const posts = [
      { _id: new ObjectId(), comments: Array.from({ length: 300 }, (_, k) => ({ k, userId: users[k % 6]!._id })) },
      { _id: new ObjectId(), comments: [{ k: 1 }] },
    ];
    const ops: Partial<MongoOperation>[] = [
      {
        collection: 'posts',
        kind: 'aggregate',
        pipeline: [{ $unwind: '$comments' }, { $match: { 'comments.k': 1 } }],
        frequency: 50,
      },
      { collection: 'posts', kind: 'update', update: { $push: { comments: { k: 2 } } }, frequency: 900 },
    ];
    const { findings } = await advise(
      dataset(
        [
          { name: 'posts', documents: posts },
          { name: 'users', documents: users },
        ],
        ops as never,
      ),
    );
    const f = byPath(findings, 'comments');
    expect(f).toMatchObject({
      severity: 'medium',
      evidence: {
        advice: 'hybrid',
        cardinality: 'many',
        accessPatterns: { elementReads: 50, appends: 900, holderReads: 50 },
      },
    });
    expect(f.evidence.tradeOff).toMatch(/written twice/);
  });

  it('moves one-to-squillions reference arrays to the child side', async () => {
    const posts = [
      {
        _id: new ObjectId(),
        likes: [...users.map((u) => u._id), ...Array.from({ length: 1200 }, () => new ObjectId())],
      },
    ];
    const { findings } = await advise(
      dataset([
        { name: 'posts', documents: posts },
        { name: 'users', documents: users },
      ]),
    );
    expect(byPath(findings, 'likes')).toMatchObject({
      severity: 'medium',
      evidence: {
        relationship: 'reference-array',
        target: 'users',
        cardinality: 'squillions',
        advice: 'reference-child-to-parent',
      },
    });
  });

  it('keeps parent → children references for one-to-many shared children', async () => {
    const tags = Array.from({ length: 5 }, () => ({ _id: new ObjectId(), label: 't' }));
    const posts = Array.from({ length: 4 }, () => ({ _id: new ObjectId(), tagIds: tags.map((x) => x._id) }));
    const { findings } = await advise(
      dataset([
        { name: 'posts', documents: posts },
        { name: 'tags', documents: tags },
      ]),
    );
    expect(byPath(findings, 'tagIds')).toMatchObject({
      severity: 'info',
      evidence: { advice: 'reference-parent-to-children', target: 'tags', fanIn: { average: 4, max: 4 } },
    });
  });

  it('weighs a denormalized copy by how often its source changes', async () => {
    const posts = Array.from({ length: 12 }, (_, i) => ({
      _id: new ObjectId(),
      authorId: users[i % 6]!._id,
      authorName: users[i % 6]!.name,
    }));
    const reads = { collection: 'posts', kind: 'find', filter: {}, frequency: 1000 } as const;
    const rename = (frequency: number) =>
      ({ collection: 'users', kind: 'update', update: { $set: { name: 'x' } }, frequency }) as const;
    const keep = await advise(
      dataset(
        [
          { name: 'posts', documents: posts },
          { name: 'users', documents: users },
        ],
        [reads, rename(10)],
      ),
    );
    const k = byPath(keep.findings, 'authorId');
    expect(k).toMatchObject({
      severity: 'info',
      evidence: { advice: 'hybrid', sourceUpdates: 10, extraWrites: 20, extraWritesPerRead: 0.02 },
    });
    expect(k.evidence.denormalized).toEqual([{ path: 'authorName', source: 'name', agreement: 1, compared: 12 }]);
    expect(k.evidence.tradeOff).toContain(
      'each change to users.name rewrites 2 posts documents on average (up to 2); at 10 updates per 1000 reads that is 20 extra document writes',
    );
    const drop = await advise(
      dataset(
        [
          { name: 'posts', documents: posts },
          { name: 'users', documents: users },
        ],
        [reads, rename(100)],
      ),
    );
    expect(byPath(drop.findings, 'authorId')).toMatchObject({
      severity: 'medium',
      evidence: { advice: 'reference-child-to-parent', extraWritesPerRead: 0.2 },
    });
  });

  it('suggests an extended reference when most reads $lookup fields that rarely change', async () => {
    const orders = users.map((u) => ({ _id: new ObjectId(), userId: u._id }));
    const join = {
      collection: 'orders',
      kind: 'aggregate',
      pipeline: [
        { $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: 'u' } },
        { $project: { who: '$u.name' } },
      ],
      frequency: 900,
    } as const;
    const { findings } = await advise(
      dataset(
        [
          { name: 'orders', documents: orders },
          { name: 'users', documents: users },
        ],
        [join, { collection: 'orders', kind: 'find', frequency: 100 }],
      ),
    );
    const f = byPath(findings, 'userId');
    expect(f).toMatchObject({
      severity: 'low',
      evidence: { advice: 'hybrid', joinShare: 0.9, joinedFields: ['name'], sourceUpdates: 0 },
    });
    expect(f.remediation?.code).toContain('$merge');
  });
});
