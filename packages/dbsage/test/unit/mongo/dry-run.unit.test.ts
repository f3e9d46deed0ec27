import { Binary, calculateObjectSize, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { dryRun, isOrdered, sameResult, sizeMeter } from '../../../src/mongo/dry-run.js';
import { projectDryRun } from '../../../src/mongo/pipeline-lint.js';
import { dataset } from './dataset.js';

const docs = Array.from({ length: 10 }, (_, i) => ({
  _id: i,
  status: i % 2 ? 'a' : 'b',
  userId: new ObjectId(`65a00000000000000000000${i % 5}`),
  n: i,
}));

describe('dryRun', () => {
  it('counts documents and bytes per stage', () => {
    const run = dryRun([{ $match: { status: 'a' } }, { $group: { _id: '$status', total: { $sum: '$n' } } }], docs);
    expect(run.stages.map((s) => [s.operator, s.documents])).toEqual([
      ['$match', 5],
      ['$group', 1],
    ]);
    expect(run.output).toEqual([{ _id: 'a', total: 25 }]);
    expect(run.stages[0]!.bytes).toBeGreaterThan(run.stages[1]!.bytes);
  });

  it('never runs scripts or writes, and leaves the samples untouched', () => {
    const before = JSON.stringify(docs);
    const scripted = dryRun([{ $match: { $where: 'true' } }, { $limit: 1 }], docs);
    expect(scripted.stages[0]!.skipped).toMatch(/^not evaluated: .*scriptEnabled/);
    expect(scripted.stages[1]!.skipped).toBe(scripted.stages[0]!.skipped);
    expect(scripted.output).toBeUndefined();
    const written = dryRun([{ $set: { n: 0 } }, { $out: 'copy' }], docs);
    expect(written.stages[1]!.skipped).toBe('$out writes to a collection; dry runs never write');
    expect(JSON.stringify(docs)).toBe(before);
  });

  it('joins other sampled collections for $lookup', () => {
    const users = [{ _id: new ObjectId('65a000000000000000000001'), name: 'x' }];
    const run = dryRun(
      [
        { $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: 'u' } },
        { $match: { 'u.name': 'x' } },
      ],
      docs,
      {
        collections: (n) => (n === 'users' ? users : undefined),
      },
    );
    expect(run.output?.map((d) => d._id)).toEqual([1, 6]);
  });

  it('compares results in order or as multisets', () => {
    expect(sameResult([{ a: 1 }, { a: 2 }], [{ a: 2 }, { a: 1 }], false)).toBe(true);
    expect(sameResult([{ a: 1 }, { a: 2 }], [{ a: 2 }, { a: 1 }], true)).toBe(false);
    expect(sameResult([{ a: 1, b: 2 }], [{ b: 2, a: 1 }], false)).toBe(false); // key order is part of a BSON document
    expect(isOrdered([{ $group: { _id: 1 } }, { $sort: { a: 1 } }, { $limit: 1 }])).toBe(true);
    expect(isOrdered([{ $sort: { a: 1 } }, { $group: { _id: 1 } }])).toBe(false);
  });
});

describe('sizeMeter', () => {
  it('measures exact BSON sizes, also for documents sharing sub-values', () => {
    const shared = { list: Array.from({ length: 50 }, (_, i) => ({ i, at: new Date(i) })) };
    const docs = [
      {
        a: 1,
        b: 'x',
        c: [1, 2, { d: new Date() }],
        e: new ObjectId(),
        f: null,
        g: 1.5,
        h: 2 ** 40,
        i: new Binary(Buffer.alloc(9)),
        ünï: { k: 'v' },
      },
      { _id: 1, shared },
      { _id: 2, shared, extra: true },
    ];
    const measure = sizeMeter();
    expect(docs.map(measure)).toEqual(docs.map((d) => calculateObjectSize(d)));
  });
});

describe('projectDryRun', () => {
  const ds = dataset([
    { name: 'orders', documents: docs, stats: { count: 10_000 } },
    { name: 'users', stats: { count: 500 } },
  ]);
  it('scales a saturated group’s arrays by collection/sample', () => {
    const pipeline = [{ $group: { _id: '$status', all: { $push: '$$ROOT' } } }];
    const [g] = projectDryRun(dryRun(pipeline, docs), pipeline, 1000, ds);
    expect(g).toMatchObject({ groups: 'saturated', documentScale: 1, groupGrowth: 1000 });
    expect(g!.maxDocumentBytes).toBe(dryRun(pipeline, docs).stages[0]!.maxDocumentBytes * 1000);
  });
  it('estimates groups keyed by a reference from the referenced collection', () => {
    const pipeline = [{ $group: { _id: '$userId', all: { $push: '$n' } } }, { $sort: { _id: 1 } }];
    const proj = projectDryRun(dryRun(pipeline, docs), pipeline, 1000, ds);
    // 5 groups of 10 in the sample (ratio 0.5 → saturated); same key with distinct ids is per-referenced-document:
    expect(proj[0]).toMatchObject({ groups: 'saturated' });
    const distinct = docs.map((d, i) => ({ ...d, userId: new ObjectId(`65a0000000000000000000${String(10 + i)}`) }));
    const p2 = projectDryRun(dryRun(pipeline, distinct), pipeline, 1000, ds);
    expect(p2[0]).toMatchObject({ groups: 'per-referenced-document', documentScale: 50, groupGrowth: 20 });
    expect(p2[1]).toMatchObject({ operator: '$sort', documentScale: 50 });
  });
});
