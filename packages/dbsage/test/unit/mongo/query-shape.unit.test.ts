import { BSONRegExp, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { createIndexCode, esrIndex, indexSupport, isLeftPrefix } from '../../../src/mongo/index-advice.js';
import { filterShape, regexInfo, scriptsIn, shapeOf } from '../../../src/mongo/query-shape.js';
import { index } from './dataset.js';

describe('filterShape', () => {
  it('classifies equality, range, regex and other predicates per path', () => {
    const s = filterShape({
      status: 'completed',
      userId: new ObjectId(),
      createdAt: { $gte: new Date(0), $lt: new Date() },
      tags: { $in: ['a', 'b'] },
      name: /^ann/,
      email: { $regex: 'example', $options: 'i' },
      deleted: { $exists: false },
      items: { $elemMatch: { sku: 'x', qty: { $gt: 1 } } },
    });
    const by = Object.fromEntries(s.predicates.map((p) => [`${p.path}:${p.operator}`, p.kind]));
    expect(by).toEqual({
      'status:$eq': 'equality',
      'userId:$eq': 'equality',
      'createdAt:$gte': 'range',
      'createdAt:$lt': 'range',
      'tags:$in': 'equality',
      'name:$regex': 'regex',
      'email:$regex': 'regex',
      'deleted:$exists': 'other',
      'items.sku:$eq': 'equality',
      'items.qty:$gt': 'range',
    });
    expect(s.predicates.find((p) => p.path === 'name')?.regex).toMatchObject({
      anchored: true,
      caseInsensitive: false,
    });
    expect(s.predicates.find((p) => p.path === 'email')?.regex).toMatchObject({
      anchored: false,
      caseInsensitive: true,
    });
  });

  it('keeps $or branches apart and finds script operators, also inside $expr', () => {
    const s = filterShape({ a: 1, $or: [{ b: 2 }, { c: { $gt: 3 } }], $where: 'this.a > 1' });
    expect(s.predicates.map((p) => p.path)).toEqual(['a']);
    expect(s.orBranches.map((b) => b.predicates.map((p) => `${p.path}:${p.kind}`))).toEqual([
      ['b:equality'],
      ['c:range'],
    ]);
    expect(s.scripts).toEqual(['$where']);
    expect(filterShape({ $expr: { $function: { body: 'return 1', args: [], lang: 'js' } } }).scripts).toEqual([
      '$function',
    ]);
    expect(scriptsIn([{ $group: { _id: null, x: { $accumulator: {} } } }])).toEqual(['$accumulator']);
  });

  it('reads BSON regexes and treats /i as never anchored', () => {
    expect(regexInfo(new BSONRegExp('^abc', 'i'))).toMatchObject({ anchored: false, caseInsensitive: true });
    expect(regexInfo(/^abc/)).toMatchObject({ anchored: true });
    expect(regexInfo('abc', 'm')).toMatchObject({ anchored: false, flags: 'm' });
  });

  it('normalizes values away so equal shapes compare equal', () => {
    expect(shapeOf({ a: 1, b: { $in: [1, 2, 3] }, c: new ObjectId() })).toEqual(
      shapeOf({ a: 7, b: { $in: [9] }, c: new ObjectId() }),
    );
    expect(shapeOf({ a: 1 })).not.toEqual(shapeOf({ b: 1 }));
  });
});

describe('Equality-Sort-Range index advice', () => {
  it('orders equality, then sort, then range fields', () => {
    const shape = filterShape({ createdAt: { $gte: new Date(0) }, status: 'completed', userId: 1 });
    expect(esrIndex(shape, { total: -1 })).toEqual([
      ['status', 1],
      ['userId', 1],
      ['total', -1],
      ['createdAt', 1],
    ]);
    expect(createIndexCode('orders', esrIndex(shape)!)).toBe(
      'db.orders.createIndex({ status: 1, userId: 1, createdAt: 1 })',
    );
    expect(createIndexCode('audit-2024', [['a.b', 1]])).toBe(
      'db.getCollection("audit-2024").createIndex({ "a.b": 1 })',
    );
  });

  it('judges collection scans, blocking sorts and good indexes', () => {
    const shape = filterShape({ status: 'completed' });
    expect(indexSupport([index('_id_', { _id: 1 })], shape, { createdAt: -1 })).toMatchObject({ verdict: 'collscan' });
    expect(
      indexSupport([index('_id_', { _id: 1 }), index('status_1', { status: 1 })], shape, { createdAt: -1 }),
    ).toMatchObject({
      verdict: 'blocking-sort',
      usable: { name: 'status_1' },
      sortCovered: false,
    });
    const good = indexSupport([index('s_c', { status: 1, createdAt: 1 })], shape, { createdAt: -1 });
    expect(good).toMatchObject({ verdict: 'ok', sortCovered: true, optimal: true }); // walked backwards
    // A sort-only query is served by an index on the sort key.
    expect(indexSupport([index('c', { createdAt: -1 })], filterShape({}), { createdAt: 1 })).toMatchObject({
      verdict: 'ok',
    });
    // Partial and hidden indexes are not assumed usable.
    expect(indexSupport([index('p', { status: 1 }, { partialFilterExpression: { x: 1 } })], shape).verdict).toBe(
      'collscan',
    );
  });

  it('left prefixes allow a fully reversed direction only', () => {
    expect(
      isLeftPrefix(
        [['a', 1]],
        [
          ['a', 1],
          ['b', -1],
        ],
      ),
    ).toBe(true);
    expect(
      isLeftPrefix(
        [
          ['a', -1],
          ['b', 1],
        ],
        [
          ['a', 1],
          ['b', -1],
        ],
      ),
    ).toBe(true);
    expect(
      isLeftPrefix(
        [
          ['a', 1],
          ['b', 1],
        ],
        [
          ['a', 1],
          ['b', -1],
        ],
      ),
    ).toBe(false);
    expect(
      isLeftPrefix(
        [['b', 1]],
        [
          ['a', 1],
          ['b', 1],
        ],
      ),
    ).toBe(false);
  });
});
