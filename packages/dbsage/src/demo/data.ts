/**
 * Deterministic demo data, generated inside the database with generate_series (no client round trips), so the
 * same scale always gives the same rows. Distributions are chosen to exercise the advisor: a skewed status
 * (95 % active), a handful of orders per user, products with varied jsonb attributes, posts with real words.
 */

/** Row counts at scale 1. */
export const DEMO_ROWS_AT_SCALE_1 = {
  users: 100_000,
  teams: 1_000,
  userTeams: 150_000,
  products: 20_000,
  orders: 500_000,
  orderItems: 500_000,
  posts: 12_000,
  comments: 40_000,
} as const;

/** Rows per table for a scale (at least a few rows each). */
export function demoRowCounts(scale: number): Record<keyof typeof DEMO_ROWS_AT_SCALE_1, number> {
  const out = {} as Record<keyof typeof DEMO_ROWS_AT_SCALE_1, number>;
  for (const [k, v] of Object.entries(DEMO_ROWS_AT_SCALE_1)) {
    out[k as keyof typeof DEMO_ROWS_AT_SCALE_1] = Math.max(10, Math.round(v * scale));
  }
  return out;
}

const WORDS = [
  'postgres',
  'index',
  'query',
  'planner',
  'vacuum',
  'replica',
  'cache',
  'latency',
  'throughput',
  'schema',
  'migration',
  'deadlock',
  'partition',
  'backup',
  'restore',
  'pool',
  'connection',
  'analytics',
  'dashboard',
  'billing',
  'invoice',
  'customer',
  'shipping',
  'warehouse',
  'inventory',
  'search',
  'ranking',
  'relevance',
  'feature',
  'release',
  'incident',
  'postmortem',
  'observability',
  'tracing',
  'metrics',
  'alerting',
];

/** One generation step: a label for progress and its SQL. Deterministic: derived from generate_series only. */
export function demoDataSteps(scale: number): { label: string; table: string; sql: string }[] {
  const n = demoRowCounts(scale);
  const words = `ARRAY[${WORDS.map((w) => `'${w}'`).join(',')}]`;
  const userId = (expr: string) => `md5('user' || (${expr}))::uuid`;
  return [
    {
      label: 'users',
      table: 'users',
      sql: `INSERT INTO users (id, email, name, status, created_at, updated_at)
        SELECT ${userId('g')}, 'user' || g || '@example.com',
               (${words})[1 + g % 36] || ' ' || initcap((${words})[1 + (g / 36) % 36]) || ' ' || g,
               CASE WHEN g % 100 = 0 THEN 'banned' WHEN g % 25 = 0 THEN 'inactive' ELSE 'active' END,
               timestamptz '2024-01-01' + (g * interval '5 minutes'),
               timestamptz '2024-01-01' + (g * interval '5 minutes')
          FROM generate_series(1::bigint, ${n.users}) g`,
    },
    {
      label: 'teams',
      table: 'teams',
      sql: `INSERT INTO teams (name, created_at)
        SELECT 'team ' || g, timestamptz '2024-01-01' + g * interval '1 hour' FROM generate_series(1::bigint, ${n.teams}) g`,
    },
    {
      label: 'user_teams',
      table: 'user_teams',
      sql: `INSERT INTO user_teams (team_id, user_id, role)
        SELECT 1 + (g * 7919) % ${n.teams}, ${userId(`1 + g % ${n.users}`)},
               CASE WHEN g % 50 = 0 THEN 'owner' WHEN g % 10 = 0 THEN 'admin' ELSE 'member' END
          FROM generate_series(1::bigint, ${n.userTeams}) g
        ON CONFLICT DO NOTHING`,
    },
    {
      label: 'products',
      table: 'products',
      sql: `INSERT INTO products (sku, name, category, price, attributes)
        SELECT 'SKU-' || lpad(g::text, 8, '0'), initcap((${words})[1 + g % 36]) || ' ' || (${words})[1 + (g / 7) % 36] || ' ' || g,
               'category-' || (g % 200), ((g * 37) % 10000) / 100.0 + 1,
               jsonb_build_object('color', (ARRAY['red','green','blue','black','white','silver','gold'])[1 + g % 7],
                                  'size', (ARRAY['S','M','L','XL'])[1 + (g / 7) % 4],
                                  'tags', jsonb_build_array((${words})[1 + g % 36], (${words})[1 + (g / 3) % 36]),
                                  'weight_g', 100 + g % 900)
          FROM generate_series(1::bigint, ${n.products}) g`,
    },
    {
      label: 'orders',
      table: 'orders',
      sql: `INSERT INTO orders (user_id, status, total, created_at)
        SELECT ${userId(`1 + (g * 7) % ${n.users}`)},
               (ARRAY['paid','shipped','shipped','shipped','pending','cancelled'])[1 + g % 6],
               ((g * 7907) % 50000) / 100.0,
               timestamptz '2024-01-01' + (g * interval '1 minute')
          FROM generate_series(1::bigint, ${n.orders}) g`,
    },
    {
      label: 'order_items',
      table: 'order_items',
      sql: `INSERT INTO order_items (order_id, product_id, quantity, unit_price)
        SELECT g, 1 + (g * 104729) % ${n.products}, 1 + g % 4, ((g * 37) % 10000) / 100.0 + 1
          FROM generate_series(1::bigint, ${Math.min(n.orderItems, n.orders)}) g`,
    },
    {
      label: 'posts',
      table: 'posts',
      sql: `INSERT INTO posts (user_id, title, body, created_at)
        SELECT ${userId(`1 + (g * 13) % ${n.users}`)},
               initcap((${words})[1 + g % 36]) || ' and ' || (${words})[1 + (g / 36) % 36],
               (SELECT string_agg((${words})[1 + ((g * 31 + k * 17) % 36)], ' ') FROM generate_series(1, 12 + g % 12) k)
                 || ' ticket' || (g % 5000),
               timestamptz '2024-01-01' + g * interval '17 minutes'
          FROM generate_series(1::bigint, ${n.posts}) g`,
    },
    {
      label: 'comments',
      table: 'comments',
      sql: `INSERT INTO comments (post_id, user_id, body, created_at)
        SELECT 1 + (g * 3) % ${n.posts}, ${userId(`1 + (g * 11) % ${n.users}`)},
               'comment ' || g || ' about ' || (${words})[1 + g % 36],
               timestamptz '2024-01-01' + g * interval '9 minutes'
          FROM generate_series(1::bigint, ${n.comments}) g`,
    },
  ];
}
