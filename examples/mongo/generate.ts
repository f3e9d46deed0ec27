/**
 * Writes the MongoDB sample data sets (deterministic; re-run after changing it):
 *   examples/mongo/shop        a blog + shop with deliberate problems
 *   examples/mongo/shop-clean  the same application modelled well
 * Both share the products and orders behind the "top products by revenue" report, so its expected result
 * (top-products.expected.json, computed by hand in the README table) holds for both.
 *
 *   npx tsx examples/mongo/generate.ts
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Binary, EJSON, ObjectId } from 'bson';

const here = dirname(fileURLToPath(import.meta.url));

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ObjectId whose timestamp is `date` (as the server would have generated it), unique by tag and counter. */
function oid(date: Date, tag: number, n: number): ObjectId {
  const ts = Math.floor(date.getTime() / 1000)
    .toString(16)
    .padStart(8, '0');
  return new ObjectId(`${ts}${tag.toString(16).padStart(2, '0')}${n.toString(16).padStart(14, '0')}`);
}

const day = (iso: string) => new Date(`${iso}T10:00:00Z`);
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * 86_400_000);

function writeNdjson(dir: string, name: string, docs: readonly object[]) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.ndjson`), `${docs.map((d) => EJSON.stringify(d, { relaxed: true })).join('\n')}\n`);
}

function writeJson(path: string, value: unknown) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${EJSON.stringify(value, undefined, 2, { relaxed: true })}\n`);
}

// ---------------------------------------------------------------------------------------------- users
const FIRST = ['Ann', 'Ben', 'Chloe', 'Dev', 'Elif', 'Farah', 'Goran', 'Hana', 'Ivan', 'Jia'];
const LAST = ['Lee', 'Moreau', 'Novak', 'Okafor'];
const CITIES = [
  ['Lyon', 'FR'],
  ['Porto', 'PT'],
  ['Leeds', 'GB'],
  ['Graz', 'AT'],
  ['Gdansk', 'PL'],
] as const;
const users = Array.from({ length: 40 }, (_, i) => {
  const createdAt = addDays(day('2023-01-10'), i * 9);
  const r = rng(100 + i);
  const age = 20 + Math.floor(r() * 40);
  const [city, country] = CITIES[i % CITIES.length]!;
  return {
    _id: oid(createdAt, 1, i + 1),
    email: `user${i + 1}@example.com`,
    name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`,
    age,
    address: { city, country },
    ...(i % 2 === 0 ? { phone: `+33 6 ${String(10_000_000 + i * 7919).slice(0, 8)}` } : {}),
    createdAt,
  };
});
/** The problem data set stores some ages as strings (an old signup form). */
const usersProblem = users.map((u, i) => (i % 7 === 3 ? { ...u, age: String(u.age) } : u));

// ---------------------------------------------------------------------------------------------- products, orders
const PRODUCTS = [
  ['SKU-100', 'Desk Lamp', 25, 'lighting'],
  ['SKU-101', 'Office Chair', 150, 'furniture'],
  ['SKU-102', 'Notebook', 4, 'stationery'],
  ['SKU-103', 'Monitor', 200, 'electronics'],
  ['SKU-104', 'Keyboard', 60, 'electronics'],
  ['SKU-105', 'Mouse', 30, 'electronics'],
  ['SKU-106', 'USB Cable', 8, 'electronics'],
  ['SKU-107', 'Headphones', 90, 'electronics'],
] as const;
const products = PRODUCTS.map(([sku, name, price, category], i) => ({
  _id: oid(day('2022-06-01'), 3, i + 1),
  sku,
  name,
  price,
  category,
  stock: 100 + i * 13,
  attrs: { color: ['black', 'white', 'grey'][i % 3], weightGrams: 100 * (i + 1), warrantyMonths: 12 + (i % 3) * 12 },
}));
const productBySku = new Map(products.map((p) => [p.sku, p]));

/** The orders of the hand-computed report: [status, date, [[sku, qty], …]]. */
const ORDERS: readonly [string, string, readonly [string, number][]][] = [
  [
    'completed',
    '2024-01-05',
    [
      ['SKU-103', 1],
      ['SKU-104', 1],
    ],
  ],
  ['completed', '2024-01-20', [['SKU-101', 2]]],
  ['pending', '2024-02-02', [['SKU-103', 1]]],
  [
    'completed',
    '2024-02-14',
    [
      ['SKU-100', 2],
      ['SKU-102', 5],
    ],
  ],
  ['completed', '2023-12-28', [['SKU-103', 3]]],
  [
    'completed',
    '2024-03-03',
    [
      ['SKU-105', 2],
      ['SKU-106', 3],
    ],
  ],
  ['cancelled', '2024-03-09', [['SKU-101', 1]]],
  [
    'completed',
    '2024-03-21',
    [
      ['SKU-107', 1],
      ['SKU-105', 1],
    ],
  ],
  ['completed', '2024-04-02', [['SKU-103', 1]]],
  [
    'completed',
    '2024-04-18',
    [
      ['SKU-104', 2],
      ['SKU-106', 1],
    ],
  ],
  [
    'completed',
    '2024-05-06',
    [
      ['SKU-101', 1],
      ['SKU-100', 1],
    ],
  ],
  ['pending', '2024-05-30', [['SKU-107', 2]]],
  ['completed', '2024-06-11', [['SKU-102', 10]]],
  [
    'completed',
    '2024-06-25',
    [
      ['SKU-107', 2],
      ['SKU-104', 1],
    ],
  ],
  ['completed', '2024-07-04', [['SKU-103', 2]]],
  ['completed', '2024-07-19', [['SKU-105', 4]]],
  ['cancelled', '2024-08-01', [['SKU-103', 1]]],
  [
    'completed',
    '2024-08-15',
    [
      ['SKU-100', 3],
      ['SKU-106', 2],
    ],
  ],
  ['completed', '2024-09-09', [['SKU-101', 1]]],
  ['completed', '2024-09-27', [['SKU-107', 1]]],
  [
    'completed',
    '2024-10-10',
    [
      ['SKU-104', 1],
      ['SKU-105', 1],
      ['SKU-102', 3],
    ],
  ],
  [
    'completed',
    '2024-11-02',
    [
      ['SKU-103', 1],
      ['SKU-107', 1],
    ],
  ],
  ['completed', '2023-11-15', [['SKU-101', 4]]],
  [
    'completed',
    '2024-12-01',
    [
      ['SKU-100', 1],
      ['SKU-104', 2],
    ],
  ],
];
function orders(withCustomerName: boolean) {
  return ORDERS.map(([status, date, items], i) => {
    const createdAt = day(date);
    const user = users[(i * 7) % 15]!;
    const lines = items.map(([sku, qty]) => {
      const p = productBySku.get(sku)!;
      return { productId: p._id, sku, qty, price: p.price };
    });
    return {
      _id: oid(createdAt, 4, i + 1),
      userId: user._id,
      ...(withCustomerName ? { customerName: user.name } : {}),
      status,
      items: lines,
      total: lines.reduce((a, l) => a + l.qty * l.price, 0),
      createdAt,
    };
  });
}

// ---------------------------------------------------------------------------------------------- posts
const TITLES = [
  'Indexing MongoDB',
  'Schema design',
  'Working from Lyon',
  'Desk setup',
  'Aggregation tips',
  'Sharding notes',
];
const postCount = 30;
function postBase(i: number) {
  const createdAt = addDays(day('2024-01-03'), i * 12);
  const author = users[(i * 3) % users.length]!;
  return {
    _id: oid(createdAt, 2, i + 1),
    authorId: author._id,
    authorName: author.name,
    title: `${TITLES[i % TITLES.length]} #${i + 1}`,
    body: `Post ${i + 1}. `.repeat(20).trim(),
    tags: [['mongodb', 'schema'], ['office'], ['mongodb', 'performance', 'indexes']][i % 3]!,
    createdAt,
  };
}
const asOf = day('2025-01-01');
function comments(post: { _id: ObjectId; createdAt: Date }, i: number, count: number) {
  const r = rng(500 + i);
  return Array.from({ length: count }, (_, k) => {
    const u = users[Math.floor(r() * users.length)]!;
    const at = new Date(
      post.createdAt.getTime() + ((asOf.getTime() - post.createdAt.getTime()) * (k + 1)) / (count + 1),
    );
    return {
      userId: u._id,
      userName: u.name,
      text: `Comment ${k + 1} on post ${i + 1}: thanks, this helped.`,
      createdAt: at,
    };
  });
}

/** Problem posts: comments embedded forever (older posts have more), one viral post with 12 000 likes, one 2.3 MB cover image. */
const postsProblem = Array.from({ length: postCount }, (_, i) => {
  const base = postBase(i);
  const ageDays = (asOf.getTime() - base.createdAt.getTime()) / 86_400_000;
  const count = Math.round((ageDays / 365) * 380) + (i % 4);
  const r = rng(900 + i);
  const likes =
    i === 4
      ? [...users.map((u) => u._id), ...Array.from({ length: 11_960 }, (_, k) => oid(day('2023-06-01'), 1, 1000 + k))]
      : users.filter(() => r() < 0.25).map((u) => u._id);
  return {
    ...base,
    comments: comments(base, i, count),
    likes,
    ...(i === 9 ? { coverImage: new Binary(Buffer.alloc(2_300_000, 0x5a)) } : {}),
  };
});

/** Clean posts: the latest three comments embedded (subset pattern), counters instead of arrays of ids. */
const commentsClean: object[] = [];
const postsClean = Array.from({ length: postCount }, (_, i) => {
  const base = postBase(i);
  const all = comments(base, i, 3 + (i % 5));
  all.forEach((c, k) => {
    commentsClean.push({ _id: oid(c.createdAt, 5, i * 100 + k + 1), postId: base._id, ...c });
  });
  return { ...base, recentComments: all.slice(-3), commentCount: all.length, likeCount: 10 + ((i * 37) % 90) };
});

// ---------------------------------------------------------------------------------------------- manifests
const ix = (name: string, key: Record<string, number | string>, ops: number, extra: Record<string, unknown> = {}) => ({
  name,
  key,
  ...extra,
  accesses: { ops, since: '2024-11-01T00:00:00Z' },
});
const attributeIndexes = Array.from({ length: 31 }, (_, k) => ix(`attrs.a${k}_1`, { [`attrs.a${k}`]: 1 }, 50 + k));
const auditCollections = Object.fromEntries(
  Array.from({ length: 110 }, (_, k) => [
    `audit_${2016 + Math.floor(k / 12)}_${String((k % 12) + 1).padStart(2, '0')}`,
    { count: 40_000 },
  ]),
);

const problemDir = join(here, 'shop');
writeNdjson(problemDir, 'users', usersProblem);
writeNdjson(problemDir, 'posts', postsProblem);
writeNdjson(problemDir, 'products', products);
writeNdjson(problemDir, 'orders', orders(false));
writeJson(join(problemDir, 'dataset.json'), {
  database: 'shop',
  collections: {
    users: {
      count: 52_000,
      indexes: [ix('_id_', { _id: 1 }, 910_000), ix('email_1', { email: 1 }, 30_000, { unique: true })],
    },
    posts: {
      count: 48_000,
      indexes: [
        ix('_id_', { _id: 1 }, 400_000),
        ix('authorId_1', { authorId: 1 }, 1_200),
        ix('authorId_1_createdAt_-1', { authorId: 1, createdAt: -1 }, 98_000),
        ix('title_1', { title: 1 }, 0),
        ix('tags_1', { tags: 1 }, 5_400),
      ],
    },
    products: { count: 1_200, indexes: [ix('_id_', { _id: 1 }, 70_000), ...attributeIndexes] },
    orders: { count: 2_400_000, indexes: [ix('_id_', { _id: 1 }, 300_000), ix('userId_1', { userId: 1 }, 560_000)] },
    ...auditCollections,
  },
});

const cleanDir = join(here, 'shop-clean');
writeNdjson(cleanDir, 'users', users);
writeNdjson(cleanDir, 'posts', postsClean);
writeNdjson(cleanDir, 'comments', commentsClean);
writeNdjson(cleanDir, 'products', products);
writeNdjson(cleanDir, 'orders', orders(true));
writeJson(join(cleanDir, 'dataset.json'), {
  database: 'shop',
  collections: {
    users: {
      count: 52_000,
      indexes: [
        ix('_id_', { _id: 1 }, 910_000),
        ix('email_1', { email: 1 }, 30_000, { unique: true }),
        ix('name_1_ci', { name: 1 }, 8_000, { collation: { locale: 'en', strength: 2 } }),
      ],
    },
    posts: {
      count: 48_000,
      indexes: [
        ix('_id_', { _id: 1 }, 400_000),
        ix('authorId_1_createdAt_-1', { authorId: 1, createdAt: -1 }, 98_000),
        ix('tags_1__id_-1', { tags: 1, _id: -1 }, 5_400),
      ],
    },
    comments: {
      count: 900_000,
      indexes: [
        ix('_id_', { _id: 1 }, 1_000),
        ix('postId_1_createdAt_-1', { postId: 1, createdAt: -1 }, 77_000),
        ix('userId_1_createdAt_-1', { userId: 1, createdAt: -1 }, 9_000),
      ],
    },
    products: {
      count: 1_200,
      indexes: [
        ix('_id_', { _id: 1 }, 70_000),
        ix('sku_1', { sku: 1 }, 40_000, { unique: true }),
        ix('category_1', { category: 1 }, 3_000),
      ],
    },
    orders: {
      count: 2_400_000,
      indexes: [
        ix('_id_', { _id: 1 }, 300_000),
        ix('userId_1_createdAt_-1', { userId: 1, createdAt: -1 }, 560_000),
        ix('status_1_createdAt_-1', { status: 1, createdAt: -1 }, 41_000),
      ],
    },
  },
});

// ---------------------------------------------------------------------------------------------- workloads
const someUser = users[3]!._id;
const somePost = postsProblem[2]!._id;
const problemQueries = [
  {
    find: 'posts',
    filter: { authorId: someUser },
    sort: { createdAt: -1 },
    limit: 20,
    frequency: 6000,
    name: 'author-feed',
  },
  {
    find: 'users',
    filter: { name: { $regex: '^ann', $options: 'i' } },
    limit: 10,
    frequency: 300,
    name: 'user-search',
  },
  { find: 'posts', filter: { title: { $regex: 'mongodb' } }, frequency: 40, name: 'title-search' },
  {
    find: 'orders',
    filter: { status: 'completed' },
    sort: { createdAt: -1 },
    skip: 5000,
    limit: 50,
    frequency: 200,
    name: 'orders-admin-page',
  },
  {
    find: 'orders',
    filter: { userId: someUser },
    sort: { createdAt: -1 },
    limit: 20,
    frequency: 800,
    name: 'my-orders',
  },
  {
    aggregate: 'orders',
    pipeline: [
      { $match: { userId: someUser } },
      { $lookup: { from: 'users', localField: 'userId', foreignField: '_id', as: 'user' } },
      { $project: { total: 1, status: 1, createdAt: 1, customer: { $first: '$user.name' } } },
    ],
    frequency: 4000,
    name: 'order-history',
  },
  {
    aggregate: 'posts',
    pipeline: [
      { $unwind: '$comments' },
      { $match: { 'comments.userId': someUser } },
      { $project: { title: 1, comment: '$comments' } },
    ],
    frequency: 150,
    name: 'comments-by-user',
  },
  {
    aggregate: 'orders',
    pipeline: [
      { $unwind: '$items' },
      { $match: { 'items.qty': { $gte: 2 } } },
      { $group: { _id: '$_id', items: { $push: '$items' } } },
    ],
    frequency: 10,
    name: 'bulk-lines',
  },
  {
    aggregate: 'orders',
    pipeline: [{ $group: { _id: '$status', orders: { $push: '$$ROOT' } } }],
    frequency: 2,
    name: 'orders-by-status-export',
  },
  { find: 'posts', filter: { $where: 'this.comments.length > 100' }, frequency: 2, name: 'popular-posts-legacy' },
  {
    update: 'users',
    updates: [{ q: { _id: someUser }, u: { $set: { name: 'New Name' } } }],
    frequency: 100,
    name: 'rename-user',
  },
  {
    update: 'posts',
    updates: [
      {
        q: { _id: somePost },
        u: { $push: { comments: { userId: someUser, userName: 'Dev Lee', text: 'hi', createdAt: asOf } } },
      },
    ],
    frequency: 900,
    name: 'add-comment',
  },
];
writeFileSync(join(here, 'shop.queries.json'), `${EJSON.stringify(problemQueries, undefined, 2, { relaxed: true })}\n`);

const cleanQueries = [
  {
    find: 'posts',
    filter: { authorId: someUser },
    sort: { createdAt: -1 },
    limit: 20,
    frequency: 6000,
    name: 'author-feed',
  },
  {
    find: 'users',
    filter: { name: 'ann lee' },
    collation: { locale: 'en', strength: 2 },
    limit: 10,
    frequency: 300,
    name: 'user-search',
  },
  { find: 'posts', filter: { tags: 'mongodb' }, sort: { _id: -1 }, limit: 20, frequency: 40, name: 'tag-page' },
  {
    find: 'orders',
    filter: { status: 'completed', createdAt: { $lt: day('2024-06-01') } },
    sort: { createdAt: -1 },
    limit: 50,
    frequency: 200,
    name: 'orders-admin-page',
  },
  {
    find: 'orders',
    filter: { userId: someUser },
    sort: { createdAt: -1 },
    limit: 20,
    frequency: 4800,
    name: 'order-history',
  },
  {
    find: 'comments',
    filter: { userId: someUser },
    sort: { createdAt: -1 },
    limit: 20,
    frequency: 150,
    name: 'comments-by-user',
  },
  {
    find: 'comments',
    filter: { postId: somePost },
    sort: { createdAt: -1 },
    limit: 50,
    frequency: 700,
    name: 'post-comments',
  },
  {
    update: 'users',
    updates: [{ q: { _id: someUser }, u: { $set: { name: 'New Name' } } }],
    frequency: 20,
    name: 'rename-user',
  },
  { insert: 'comments', frequency: 900, name: 'add-comment' },
  {
    update: 'posts',
    updates: [
      {
        q: { _id: somePost },
        u: { $push: { recentComments: { $each: [{ text: 'hi' }], $slice: -3 } }, $inc: { commentCount: 1 } },
      },
    ],
    frequency: 900,
    name: 'add-comment-subset',
  },
];
writeFileSync(
  join(here, 'shop-clean.queries.json'),
  `${EJSON.stringify(cleanQueries, undefined, 2, { relaxed: true })}\n`,
);

const topProducts = {
  aggregate: 'orders',
  name: 'top-products-by-revenue',
  pipeline: [
    { $match: { status: 'completed', createdAt: { $gte: new Date('2024-01-01T00:00:00Z') } } },
    { $unwind: '$items' },
    { $lookup: { from: 'products', localField: 'items.sku', foreignField: 'sku', as: 'product' } },
    {
      $group: {
        _id: '$items.sku',
        name: { $first: { $arrayElemAt: ['$product.name', 0] } },
        revenue: { $sum: { $multiply: ['$items.qty', '$items.price'] } },
        units: { $sum: '$items.qty' },
      },
    },
    { $sort: { revenue: -1, _id: 1 } },
    { $limit: 5 },
  ],
};
writeFileSync(
  join(here, 'top-products.pipeline.json'),
  `${EJSON.stringify(topProducts, undefined, 2, { relaxed: true })}\n`,
);
console.log(`wrote ${problemDir} and ${cleanDir}`);
