import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/findings/finding.js';
import { analyzeMongo, type MongoAnalysis } from '../../../src/mongo/analyze.js';
import { loadOfflineDataset } from '../../../src/mongo/offline.js';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));
const load = (variant: 'shop' | 'shop-clean') =>
  loadOfflineDataset({
    samples: [`examples/mongo/${variant}`],
    queries: `examples/mongo/${variant}.queries.json`,
    pipelines: ['examples/mongo/top-products.pipeline.json'],
    sampleSize: 1000,
    cwd: root,
  });
const one = (a: MongoAnalysis, ruleId: string, match: (f: Finding) => boolean = () => true) => {
  const found = a.findings.filter((f) => f.ruleId === ruleId && match(f));
  expect(found, `${ruleId}: ${found.map((f) => f.title).join(' | ')}`).toHaveLength(1);
  return found[0]!;
};
const about = (text: string) => (f: Finding) => f.title.includes(text);
const expected = JSON.parse(readFileSync(`${root}examples/mongo/top-products.expected.json`, 'utf8'));

let shop: MongoAnalysis;
let clean: MongoAnalysis;
beforeAll(async () => {
  shop = await analyzeMongo(load('shop'), { typescript: true });
  clean = await analyzeMongo(load('shop-clean'));
});

describe('shop (deliberate problems)', () => {
  it('infers each collection’s schema, with the polymorphic age', () => {
    expect(shop.schemas.map((s) => [s.collection, s.documents])).toEqual([
      ['orders', 24],
      ['posts', 30],
      ['products', 8],
      ['users', 40],
    ]);
    const age = one(shop, 'mongo-polymorphic-field');
    expect(age.evidence).toMatchObject({
      collection: 'users',
      path: 'age',
      types: [
        { type: 'Number', count: 34 },
        { type: 'String', count: 6 },
      ],
    });
    expect(shop.typescript).toContain('export interface PostsDocument {');
  });

  it('finds the 12 000-element likes array and the comments array that grows with post age', () => {
    const likes = one(shop, 'mongo-unbounded-array', about('posts.likes'));
    expect(likes).toMatchObject({
      severity: 'high',
      evidence: { longest: 12_000, threshold: 10_000 },
      location: { file: 'examples/mongo/shop/posts.ndjson', line: 5 },
    });
    const comments = one(shop, 'mongo-unbounded-array', about('posts.comments'));
    expect(comments).toMatchObject({ severity: 'medium', evidence: { documentsWithAge: 30, longest: 379 } });
    expect(comments.evidence.ageLengthCorrelation).toBeGreaterThan(0.99);
  });

  it('finds the 2.2 MB post and blames its cover image', () => {
    const f = one(shop, 'mongo-large-document');
    expect(f).toMatchObject({ severity: 'high', evidence: { documentsOver: 1, sampled: 30 }, location: { line: 10 } });
    expect((f.evidence.largestFields as { field: string; bytes: number }[])[0]).toMatchObject({ field: 'coverImage' });
    expect((f.evidence.documentBytes as { max: number }).max).toBeGreaterThan(2 * 1024 * 1024);
  });

  it('finds 32 indexes on products, 114 collections, the unused and the redundant index', () => {
    expect(one(shop, 'mongo-too-many-indexes').evidence).toMatchObject({
      collection: 'products',
      indexes: 32,
      sharedPrefix: 'attrs',
    });
    expect(one(shop, 'mongo-too-many-collections').evidence).toMatchObject({
      collections: 114,
      numberedFamilies: [{ pattern: 'audit_#_#', count: 110 }],
    });
    expect(one(shop, 'mongo-unused-index').evidence).toMatchObject({ collection: 'posts', index: 'title_1', ops: 0 });
    expect(one(shop, 'mongo-redundant-index').evidence).toMatchObject({
      index: 'authorId_1',
      coveredBy: 'authorId_1_createdAt_-1',
    });
  });

  it('finds the case-insensitive regex, the heavy $lookup, the large skip and the $where', () => {
    expect(one(shop, 'mongo-case-insensitive-regex').evidence).toMatchObject({
      collection: 'users',
      path: 'name',
      regex: '/^ann/i',
      frequency: 300,
    });
    expect(one(shop, 'mongo-heavy-lookup').evidence).toMatchObject({
      collection: 'orders',
      from: 'users',
      lookupFrequency: 4000,
      readFrequency: 5013,
      share: 0.798,
    });
    expect(one(shop, 'mongo-large-skip').evidence).toMatchObject({ skip: 5000 });
    expect(one(shop, 'mongo-script-operator').evidence).toMatchObject({ operators: ['$where'] });
    expect(one(shop, 'mongo-regex-unanchored').evidence).toMatchObject({ path: 'title', regex: '/mongodb/' });
  });

  it('advises embed, reference and hybrid with the rule of thumb and the trade-off', () => {
    const advice = (path: string) =>
      one(shop, 'mongo-model-advice', (f) => `${f.evidence.collection}.${f.evidence.path}` === path);
    expect(advice('orders.items').evidence).toMatchObject({ advice: 'embed', cardinality: 'few' });
    expect(advice('posts.likes')).toMatchObject({
      severity: 'high',
      evidence: { advice: 'reference-child-to-parent', cardinality: 'squillions', target: 'users' },
    });
    expect(advice('posts.comments').evidence).toMatchObject({
      advice: 'hybrid',
      cardinality: 'many',
      growing: true,
      accessPatterns: { elementReads: 150, appends: 900 },
    });
    const author = advice('posts.authorId');
    expect(author.evidence).toMatchObject({
      advice: 'hybrid',
      target: 'users',
      denormalized: [{ path: 'authorName', source: 'name', agreement: 1 }],
      sourceUpdates: 100,
    });
    expect(author.evidence.tradeOff).toMatch(
      /each change to users\.name rewrites 1 posts documents .* 100 extra document writes/,
    );
    // The comment author's name is copied into almost every post: too many rewrites per read.
    expect(advice('posts.comments.userId').evidence).toMatchObject({
      advice: 'reference-child-to-parent',
      denormalized: [{ path: 'comments.userName', source: 'name' }],
    });
    expect(advice('orders.userId')).toMatchObject({
      severity: 'low',
      evidence: { advice: 'hybrid', joinedFields: ['name'], joinShare: 0.798 },
    });
  });

  it('lints the pipelines: rebuild with a proven rewrite, unbounded $push, projected limits', () => {
    const rebuild = one(shop, 'mongo-unwind-group-rebuild');
    expect(rebuild.evidence.dryRun).toMatchObject({ identical: true, originalResults: 14, rewrittenResults: 14 });
    expect(one(shop, 'mongo-unbounded-push').evidence).toMatchObject({ field: 'orders', groupBy: '$status' });
    expect(one(shop, 'mongo-result-document-too-large').evidence).toMatchObject({
      groups: 'saturated',
      groupGrowth: 100_000,
    });
    expect(shop.findings.filter((f) => f.ruleId === 'mongo-stage-memory').map((f) => f.title.split(':')[0])).toEqual([
      'bulk-lines',
      'orders-by-status-export',
    ]);
  });

  it('top products by revenue: the $match index, the $lookup index, and the hand-computed result', () => {
    const top = (f: Finding) => f.title.startsWith('top-products-by-revenue');
    const first = one(shop, 'mongo-unindexed-query', top);
    expect(first.remediation?.code).toBe('db.orders.createIndex({ status: 1, createdAt: 1 })');
    expect(first.evidence).toMatchObject({ stage: 'pipeline[0]', collectionDocuments: 2_400_000 });
    expect(one(shop, 'mongo-lookup-unindexed-foreign-field', top).remediation?.code).toBe(
      'db.products.createIndex({ sku: 1 })',
    );
    const run = shop.dryRuns.find((r) => r.operation.name === 'top-products-by-revenue')!;
    expect(run.run.output).toEqual(expected);
    expect(run.run.stages.map((s) => s.documents)).toEqual([18, 30, 30, 8, 8, 5]);
  });

  it('the hand-computed expectation agrees with plain arithmetic over the orders file', () => {
    const orders = readFileSync(`${root}examples/mongo/shop/orders.ndjson`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const names = Object.fromEntries(
      readFileSync(`${root}examples/mongo/shop/products.ndjson`, 'utf8')
        .trim()
        .split('\n')
        .map((l) => [JSON.parse(l).sku, JSON.parse(l).name]),
    );
    const totals = new Map<string, { revenue: number; units: number }>();
    for (const o of orders) {
      if (o.status !== 'completed' || o.createdAt.$date < '2024-01-01') continue;
      for (const i of o.items) {
        const t = totals.get(i.sku) ?? { revenue: 0, units: 0 };
        t.revenue += i.qty * i.price;
        t.units += i.qty;
        totals.set(i.sku, t);
      }
    }
    const computed = [...totals]
      .sort((a, b) => b[1].revenue - a[1].revenue || a[0].localeCompare(b[0]))
      .slice(0, 5)
      .map(([sku, t]) => ({ _id: sku, name: names[sku], revenue: t.revenue, units: t.units }));
    expect(computed).toEqual(expected);
  });
});

describe('shop-clean (the same application modelled well)', () => {
  it('raises nothing above info', () => {
    expect(clean.findings.filter((f) => f.severity !== 'info').map((f) => `${f.ruleId}: ${f.title}`)).toEqual([]);
  });

  it('has none of the anti-patterns', () => {
    const absent = [
      'mongo-unbounded-array',
      'mongo-large-document',
      'mongo-too-many-indexes',
      'mongo-too-many-collections',
      'mongo-unused-index',
      'mongo-redundant-index',
      'mongo-case-insensitive-regex',
      'mongo-heavy-lookup',
      'mongo-polymorphic-field',
      'mongo-unindexed-query',
      'mongo-lookup-unindexed-foreign-field',
      'mongo-large-skip',
      'mongo-script-operator',
    ];
    expect(clean.findings.filter((f) => absent.includes(f.ruleId))).toEqual([]);
  });

  it('keeps its model: embedded subset, child → parent references, extended references', () => {
    const advice = Object.fromEntries(
      clean.findings
        .filter((f) => f.ruleId === 'mongo-model-advice')
        .map((f) => [`${f.evidence.collection}.${f.evidence.path}`, f.evidence.advice]),
    );
    expect(advice).toEqual({
      'comments.postId': 'reference-child-to-parent',
      'comments.userId': 'hybrid',
      'orders.items': 'embed',
      'orders.items.productId': 'hybrid',
      'orders.userId': 'hybrid',
      'posts.authorId': 'hybrid',
      'posts.recentComments': 'embed',
      'posts.recentComments.userId': 'hybrid',
    });
  });

  it('top products: same hand-computed result, and no index advice (both indexes exist)', () => {
    const run = clean.dryRuns.find((r) => r.operation.name === 'top-products-by-revenue')!;
    expect(run.run.output).toEqual(expected);
  });
});
