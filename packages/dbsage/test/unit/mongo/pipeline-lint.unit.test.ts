import { describe, expect, it } from 'vitest';
import {
  lookupUnindexed,
  serverOptimizations,
  sortWithoutLimit,
  stagePlacement,
  unboundedPush,
  unwindGroupRebuild,
} from '../../../src/mongo/pipeline-lint.js';
import { largeSkips, regexQueries, scriptOperators, unindexedQueries } from '../../../src/mongo/query-rules.js';
import { findUnwindGroupRebuild } from '../../../src/mongo/rewrite.js';
import { DEFAULT_MONGO_THRESHOLDS } from '../../../src/mongo/thresholds.js';
import type { MongoDataset } from '../../../src/mongo/types.js';
import { dataset, index } from './dataset.js';

const t = { ...DEFAULT_MONGO_THRESHOLDS };
const agg = (pipeline: Record<string, unknown>[], collection = 'orders') => ({
  collection,
  kind: 'aggregate' as const,
  pipeline,
});
const ids = (findings: { ruleId: string }[]) => findings.map((f) => f.ruleId);
const wl = (ds: MongoDataset) => ({ dataset: ds, thresholds: t });

const orders = [
  {
    _id: 1,
    items: [
      { sku: 'a', qty: 1 },
      { sku: 'b', qty: 3 },
    ],
    status: 'x',
  },
  { _id: 2, items: [{ sku: 'a', qty: 5 }], status: 'y' },
  { _id: 3, items: [], status: 'x' },
  { _id: 4, items: [{ sku: 'c', qty: 1 }], status: 'x' },
];

describe('$lookup foreign field', () => {
  const pipe = [{ $lookup: { from: 'products', localField: 'items.sku', foreignField: 'sku', as: 'p' } }];
  it('reports an unindexed foreignField with the index to build', () => {
    const [f] = lookupUnindexed(
      wl(dataset([{ name: 'products', indexes: [index('_id_', { _id: 1 })], stats: { count: 1200 } }], [agg(pipe)])),
    );
    expect(f).toMatchObject({
      ruleId: 'mongo-lookup-unindexed-foreign-field',
      severity: 'high',
      evidence: { from: 'products', foreignField: 'sku', foreignDocuments: 1200, foreignIndexes: ['_id_'] },
      remediation: { code: 'db.products.createIndex({ sku: 1 })' },
      location: { file: 'q.json', line: 1 },
    });
  });
  it('is quiet when an index leads with the foreign field, or the join is on _id, also for let/pipeline lookups', () => {
    const ds = dataset(
      [{ name: 'products', indexes: [index('sku_1', { sku: 1, name: 1 })] }],
      [agg(pipe), agg([{ $lookup: { from: 'products', localField: 'x', foreignField: '_id', as: 'p' } }])],
    );
    expect(lookupUnindexed(wl(ds))).toEqual([]);
    const letPipe = agg([
      {
        $lookup: {
          from: 'products',
          let: { s: '$sku' },
          pipeline: [{ $match: { $expr: { $eq: ['$code', '$$s'] } } }],
          as: 'p',
        },
      },
    ]);
    expect(lookupUnindexed(wl(dataset([{ name: 'products', indexes: [] }], [letPipe])))[0]?.evidence.foreignField).toBe(
      'code',
    );
  });
});

describe('$unwind + $group rebuild', () => {
  const pipeline = [
    { $unwind: '$items' },
    { $match: { 'items.qty': { $gte: 2 } } },
    { $group: { _id: '$_id', items: { $push: '$items' }, status: { $first: '$status' } } },
  ];
  it('rewrites it with $filter and proves the rewrite on the sample', () => {
    const [f] = unwindGroupRebuild(wl(dataset([{ name: 'orders', documents: orders }], [agg(pipeline)])));
    expect(f).toMatchObject({
      ruleId: 'mongo-unwind-group-rebuild',
      severity: 'medium',
      evidence: { arrayPath: 'items', stages: [0, 2] },
    });
    expect(f!.evidence.dryRun).toEqual({
      sampleDocuments: 4,
      originalResults: 2,
      rewrittenResults: 2,
      identical: true,
      compared: 'as multisets (group output order is unspecified)',
      originalPeakDocuments: 4,
      rewrittenPeakDocuments: 2,
    });
    expect(f!.remediation?.code).toContain('"$filter"');
  });
  it('keeps documents only when elements remain, like $unwind', () => {
    const r = findUnwindGroupRebuild([{ $unwind: '$items' }, { $group: { _id: '$_id', n: { $sum: '$items.qty' } } }]);
    expect(r?.rewritten).toEqual([
      { $match: { $expr: { $gt: [{ $size: { $ifNull: ['$items', []] } }, 0] } } },
      { $project: { _id: 1, n: { $sum: { $map: { input: '$items', as: 'el', in: '$$el.qty' } } } } },
    ]);
  });
  it('does not fire when the group key is not the document', () => {
    expect(
      findUnwindGroupRebuild([{ $unwind: '$items' }, { $group: { _id: '$items.sku', n: { $sum: 1 } } }]),
    ).toBeUndefined();
  });
  it('names the part without an array-expression form', () => {
    expect(
      findUnwindGroupRebuild([
        { $unwind: '$items' },
        { $match: { 'items.sku': { $regex: '^a' } } },
        { $group: { _id: '$_id', i: { $push: '$items' } } },
      ]),
    ).toMatchObject({
      reason: 'the $match between $unwind and $group has no $filter form',
    });
  });
});

describe('unbounded $push / $addToSet', () => {
  it('fires without a preceding $limit and suggests $firstN/$topN', () => {
    const [f] = unboundedPush(wl(dataset([], [agg([{ $group: { _id: '$status', all: { $addToSet: '$_id' } } }])])));
    expect(f).toMatchObject({
      ruleId: 'mongo-unbounded-push',
      evidence: { field: 'all', accumulator: '$addToSet', groupBy: '$status' },
    });
    expect(f!.remediation?.code).toContain('$firstN');
  });
  it('is quiet after a $limit', () => {
    expect(
      unboundedPush(wl(dataset([], [agg([{ $limit: 10 }, { $group: { _id: null, all: { $push: '$_id' } } }])]))),
    ).toEqual([]);
  });
});

describe('$sort without $limit', () => {
  it('fires for an unbounded sort, not for a top-k, a sort feeding $group, or $skip + $limit pages', () => {
    const ds = dataset(
      [],
      [
        agg([{ $sort: { a: 1 } }, { $project: { a: 1 } }]),
        agg([{ $sort: { a: 1 } }, { $project: { a: 1 } }, { $limit: 5 }]),
        agg([{ $sort: { a: 1 } }, { $group: { _id: '$b', first: { $first: '$a' } } }]),
        agg([{ $sort: { a: 1 } }, { $skip: 20 }, { $limit: 10 }]),
      ],
    );
    const found = sortWithoutLimit(wl(ds));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ ruleId: 'mongo-sort-without-limit', evidence: { stage: 0, next: null } });
  });
});

describe('stage placement and $lookup count', () => {
  it('reports $out/$merge not last, $geoNear not first, and more than three $lookups', () => {
    const l = (from: string) => ({ $lookup: { from, localField: 'a', foreignField: '_id', as: from } });
    const ds = dataset(
      [],
      [
        agg([{ $out: 'x' }, { $match: {} }]),
        agg([{ $match: {} }, { $geoNear: { near: [0, 0], distanceField: 'd' } }]),
        agg([l('a'), l('b'), l('c'), { $facet: { x: [l('d')] } }]),
        agg([l('a'), l('b'), l('c'), { $merge: { into: 'y' } }]),
      ],
    );
    expect(ids(stagePlacement(wl(ds)))).toEqual([
      'mongo-out-merge-not-last',
      'mongo-geonear-not-first',
      'mongo-too-many-lookups',
    ]);
    expect(stagePlacement(wl(ds))[2]!.evidence).toMatchObject({ lookups: 4, threshold: 3, from: ['a', 'b', 'c', 'd'] });
  });
});

describe('find and first-stage rules', () => {
  it('recommends the ESR index for an unindexed query, once per shape with summed frequency', () => {
    const ds = dataset(
      [{ name: 'orders', indexes: [index('_id_', { _id: 1 })], stats: { count: 2_400_000 } }],
      [
        {
          collection: 'orders',
          kind: 'find',
          filter: { status: 'a', createdAt: { $gte: 1 } },
          sort: { total: -1 },
          frequency: 10,
        },
        {
          collection: 'orders',
          kind: 'find',
          filter: { status: 'b', createdAt: { $gte: 5 } },
          sort: { total: -1 },
          frequency: 5,
        },
        agg([{ $match: { status: 'a' } }, { $sort: { total: -1 } }]),
      ],
    );
    const found = unindexedQueries(wl(ds));
    expect(found.map((f) => f.remediation?.code)).toEqual([
      'db.orders.createIndex({ status: 1, total: -1, createdAt: 1 })',
      'db.orders.createIndex({ status: 1, total: -1 })',
    ]);
    expect(found[0]!.evidence).toMatchObject({
      operations: 2,
      frequency: 15,
      collectionDocuments: 2_400_000,
      indexUsed: null,
    });
    expect(found[1]!.evidence.stage).toBe('pipeline[0]');
  });
  it('is quiet when the ESR index exists', () => {
    const ds = dataset(
      [{ name: 'orders', indexes: [index('s_t_c', { status: 1, total: -1, createdAt: 1 })] }],
      [{ collection: 'orders', kind: 'find', filter: { status: 'a', createdAt: { $gte: 1 } }, sort: { total: -1 } }],
    );
    expect(unindexedQueries(wl(ds))).toEqual([]);
  });

  it('reports /i regexes without a collation index, and unanchored ones', () => {
    const ops = [
      { collection: 'users', kind: 'find' as const, filter: { name: { $regex: '^ann', $options: 'i' } } },
      { collection: 'users', kind: 'find' as const, filter: { email: /example\.com$/ } },
      { collection: 'users', kind: 'find' as const, filter: { login: /^adm/ } },
    ];
    const found = regexQueries(wl(dataset([{ name: 'users', indexes: [] }], ops)));
    expect(ids(found)).toEqual(['mongo-case-insensitive-regex', 'mongo-regex-unanchored']);
    expect(found[0]!.remediation?.code).toContain(
      'db.users.createIndex({ name: 1 }, {"collation":{"locale":"en","strength":2}})',
    );
    const withCollation = dataset(
      [{ name: 'users', indexes: [index('name_ci', { name: 1 }, { collation: { locale: 'en', strength: 2 } })] }],
      [ops[0]!],
    );
    expect(regexQueries(wl(withCollation))).toEqual([]);
  });

  it('reports large skips and script operators', () => {
    const ds = dataset(
      [],
      [
        { collection: 'o', kind: 'find', filter: {}, sort: { createdAt: -1 }, skip: 5000 },
        { collection: 'o', kind: 'find', filter: {}, skip: 1000 },
        agg([{ $skip: 20_000 }]),
        { collection: 'o', kind: 'find', filter: { $where: 'this.a > 1' } },
        agg([{ $group: { _id: null, x: { $accumulator: { init: 'function(){}' } } } }]),
      ],
    );
    expect(largeSkips(wl(ds)).map((f) => f.evidence.skip)).toEqual([5000, 20_000]);
    expect(scriptOperators(wl(ds)).map((f) => f.evidence.operators)).toEqual([['$where'], ['$accumulator']]);
  });
});

describe('server optimizations', () => {
  it('notes the reorderings the server does instead of warning about them', () => {
    const notes = serverOptimizations({
      ...agg([
        { $addFields: { total: { $sum: '$items.qty' } } },
        { $match: { status: 'x', total: { $gt: 1 } } },
        { $lookup: { from: 'p', localField: 'a', foreignField: '_id', as: 'p' } },
        { $unwind: '$p' },
        { $sort: { total: -1 } },
        { $limit: 5 },
      ]),
      name: 'report',
      frequency: 1,
      origin: { file: 'p.json', line: 1 },
    });
    expect(notes).toEqual([
      'report: the server moves the $match on status (stage 1) before $addFields (stage 0); no need to reorder by hand.',
      'report: $lookup + $unwind of "p" (stages 2-3) coalesce: the joined array is never built.',
      'report: $sort + $limit (stages 4-5) coalesce into a top-5 sort that keeps only 5 documents in memory.',
    ]);
  });
});
