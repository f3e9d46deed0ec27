import { demoRowCounts } from './data.js';

/**
 * The demo workload: the classic problems an expert is called in for, as real statements with deterministic
 * parameters. Each entry names the problem it shows and the index the advisor is expected to find.
 */
export interface DemoQuery {
  id: string;
  /** What the query shows. */
  problem: string;
  sql: string;
  /** Parameters for the i-th execution. */
  params: (i: number) => unknown[];
  /** Executions at scale 1. */
  runs: number;
}

/** Builds the workload for a scale (parameters stay inside the generated data's ranges). */
export function demoWorkload(scale: number): DemoQuery[] {
  const n = demoRowCounts(scale);
  const pick = (i: number, max: number, salt: number) => 1 + ((i * 7919 + salt) % max);
  const colors = ['red', 'green', 'blue', 'black'];
  const queries: DemoQuery[] = [
    {
      id: 'n-plus-one-parent',
      problem: 'N+1: the parent list (users), then one query per user for their teams',
      sql: 'SELECT id, email, name FROM users ORDER BY created_at DESC LIMIT 25',
      params: () => [],
      runs: 4,
    },
    {
      id: 'n-plus-one-child',
      problem: 'N+1: teams per user, run once per parent row (needs an index on the foreign key user_teams.user_id)',
      sql: "SELECT ut.team_id, ut.role FROM user_teams ut WHERE ut.user_id = md5('user' || $1::text)::uuid",
      params: (i) => [String(n.users - (i % 25))],
      runs: 100,
    },
    {
      id: 'orders-filter-sort',
      problem: 'Filter + sort + LIMIT: wants (user_id, status, created_at DESC)',
      sql: "SELECT id, total, created_at FROM orders WHERE user_id = md5('user' || $1::text)::uuid AND status = $2 ORDER BY created_at DESC LIMIT 20",
      params: (i) => [String(pick(i, n.users, 3)), i % 2 === 0 ? 'shipped' : 'paid'],
      // Not close to the parent list's row count: the N+1 heuristic on pg_stat_statements pairs a child with a
      // parent when calls ≈ parent rows and it filters on a foreign key to the parent, which this also does.
      runs: 40,
    },
    {
      id: 'email-case-insensitive',
      problem: 'Case-insensitive lookup: lower(email) defeats the plain unique index',
      sql: 'SELECT id, name, status FROM users WHERE lower(email) = lower($1)',
      params: (i) => [`User${pick(i, n.users, 11)}@Example.com`],
      runs: 100,
    },
    {
      id: 'name-substring',
      problem: "Substring search: name ILIKE '%…%' needs a trigram GIN index",
      sql: "SELECT id, name FROM users WHERE name ILIKE '%' || $1 || '%' LIMIT 20",
      params: (i) => [` ${1000 + ((i * 7919) % 9000)}`],
      runs: 20,
    },
    {
      id: 'products-jsonb',
      problem: 'jsonb containment: attributes @> … wants GIN jsonb_path_ops',
      sql: 'SELECT id, name, price FROM products WHERE attributes @> $1::jsonb',
      params: (i) => [JSON.stringify({ color: colors[i % colors.length], weight_g: 100 + ((i * 37) % 900) })],
      runs: 40,
    },
    {
      id: 'posts-full-text',
      problem: 'Full-text search on posts: wants a GIN index on the to_tsvector expression',
      sql: "SELECT id, title FROM posts WHERE to_tsvector('english', body) @@ plainto_tsquery('english', $1) LIMIT 20",
      params: (i) => [`ticket${(i * 7919) % 5000}`],
      runs: 4,
    },
    {
      id: 'users-banned',
      problem: "Skewed status: 1 % of users are 'banned'; a partial index serves this list",
      sql: "SELECT id, email, created_at FROM users WHERE status = 'banned' ORDER BY created_at DESC LIMIT 50",
      params: () => [],
      runs: 30,
    },
    {
      id: 'products-by-category',
      problem: 'Category listing that reads only name and price: a covering index gives an index-only scan',
      sql: 'SELECT name, price FROM products WHERE category = $1',
      params: (i) => [`category-${i % 200}`],
      runs: 60,
    },
  ];
  const scaled = queries.map((q) => ({ ...q, runs: Math.max(2, Math.round(q.runs * Math.min(1, scale * 4))) }));
  // The N+1 loop runs the child once per parent row, as the application would (25 rows per parent run).
  const parent = scaled.find((q) => q.id === 'n-plus-one-parent')!;
  const child = scaled.find((q) => q.id === 'n-plus-one-child')!;
  child.runs = parent.runs * 25;
  return scaled;
}
