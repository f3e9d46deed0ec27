import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

/**
 * Writes a realistic PostgreSQL stderr log (log_min_duration_statement = 0, log_line_prefix =
 * '%m [%p] %q%u@%d/%a '): 50 statement shapes with varying constants and IN-list lengths, simple and extended
 * protocol (parse/bind/execute lines and DETAIL parameters), multi-line statements, trace-id comments,
 * transaction control, server messages, errors with STATEMENT lines, and garbage lines. Deterministic (seeded),
 * and it returns what it wrote so the benchmark can check the ingest exactly.
 */

/** Seeded PRNG (mulberry32): the same log for the same seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type R = () => number;
const int = (r: R, max: number) => 1 + Math.floor(r() * max);
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const STATUSES = ['active', 'pending', 'suspended', 'deleted'] as const;
const ORDER_STATUSES = ['new', 'paid', 'shipped', 'cancelled'] as const;
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', "o'brien", 'echo', 'foxtrot'] as const;
const inList = (r: R) =>
  Array.from({ length: int(r, 8) }, () => int(r, 100000))
    .map(String)
    .join(', ');
const day = (r: R) => `2024-${String(int(r, 12)).padStart(2, '0')}-${String(int(r, 28)).padStart(2, '0')}`;
const str = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A statement shape: literal text for the simple protocol, or `$n` text with parameters for the extended one. */
interface Shape {
  simple: (r: R) => string;
  /** Extended-protocol form: text with $n and a parameter generator. */
  extended?: { text: string; params: (r: R) => string[] };
}

const TABLES = ['users', 'orders', 'order_items', 'products', 'posts', 'comments', 'teams', 'user_teams'] as const;

function shapes(): Shape[] {
  const list: Shape[] = [
    {
      simple: (r) => `SELECT id, email, status FROM app.users WHERE id = ${int(r, 100000)}`,
      extended: { text: 'SELECT id, email, status FROM app.users WHERE id = $1', params: (r) => [String(int(r, 1e5))] },
    },
    {
      simple: (r) => `SELECT * FROM app.users WHERE lower(email) = lower(${str(`user${int(r, 1e5)}@example.com`)})`,
      extended: {
        text: 'SELECT * FROM app.users WHERE lower(email) = lower($1)',
        params: (r) => [`user${int(r, 1e5)}@example.com`],
      },
    },
    {
      simple: (r) =>
        `SELECT id, total_cents, created_at FROM app.orders WHERE user_id = ${int(r, 1e5)} AND status = ${str(pick(r, ORDER_STATUSES))} ORDER BY created_at DESC LIMIT 20`,
      extended: {
        text: 'SELECT id, total_cents, created_at FROM app.orders WHERE user_id = $1 AND status = $2 ORDER BY created_at DESC LIMIT 20',
        params: (r) => [String(int(r, 1e5)), pick(r, ORDER_STATUSES)],
      },
    },
    {
      simple: (r) =>
        `SELECT t.id, t.name\n  FROM app.teams t\n  JOIN app.user_teams ut ON ut.team_id = t.id\n WHERE ut.user_id = ${int(r, 1e5)}\n ORDER BY t.name`,
      extended: {
        text: 'SELECT t.id, t.name\n  FROM app.teams t\n  JOIN app.user_teams ut ON ut.team_id = t.id\n WHERE ut.user_id = $1\n ORDER BY t.name',
        params: (r) => [String(int(r, 1e5))],
      },
    },
    {
      simple: (r) => `SELECT id, name FROM app.products WHERE name ILIKE ${str(`%${pick(r, WORDS)}%`)} LIMIT 50`,
    },
    {
      simple: (r) =>
        `SELECT id FROM app.products WHERE attributes @> ${str(`{"color": "${pick(r, ['red', 'blue', 'green'])}"}`)}::jsonb`,
    },
    {
      simple: (r) =>
        `SELECT id, title FROM app.posts WHERE to_tsvector('english', body) @@ plainto_tsquery('english', ${str(pick(r, WORDS))}) LIMIT 10`,
    },
    {
      simple: (r) => `SELECT count(*) FROM app.users WHERE status = ${str(pick(r, STATUSES))}`,
      extended: { text: 'SELECT count(*) FROM app.users WHERE status = $1', params: (r) => [pick(r, STATUSES)] },
    },
    {
      simple: (r) => `SELECT id, email FROM app.users WHERE id IN (${inList(r)})`,
    },
    {
      simple: (r) =>
        `UPDATE app.users SET updated_at = now(), status = ${str(pick(r, STATUSES))} WHERE id = ${int(r, 1e5)}`,
      extended: {
        text: 'UPDATE app.users SET updated_at = now(), status = $1 WHERE id = $2',
        params: (r) => [pick(r, STATUSES), String(int(r, 1e5))],
      },
    },
    {
      simple: (r) =>
        `INSERT INTO app.orders (user_id, status, total_cents, created_at)\nVALUES (${int(r, 1e5)}, 'new', ${int(r, 99999)}, now())\nRETURNING id`,
      extended: {
        text: 'INSERT INTO app.orders (user_id, status, total_cents, created_at)\nVALUES ($1, $2, $3, now())\nRETURNING id',
        params: (r) => [String(int(r, 1e5)), 'new', String(int(r, 99999))],
      },
    },
    {
      simple: (r) =>
        `INSERT INTO app.order_items (order_id, product_id, quantity, price_cents) VALUES (${int(r, 5e5)}, ${int(r, 1e4)}, ${int(r, 5)}, ${int(r, 9999)})`,
    },
    {
      simple: (r) =>
        `SELECT oi.product_id, sum(oi.quantity) AS qty\n  FROM app.order_items oi\n  JOIN app.orders o ON o.id = oi.order_id\n WHERE o.created_at >= ${str(day(r))}\n GROUP BY oi.product_id\n ORDER BY qty DESC\n LIMIT 10`,
    },
    {
      simple: (r) => `DELETE FROM app.comments WHERE id = ${int(r, 1e6)} /* trace_id=${int(r, 1e9).toString(16)} */`,
    },
    {
      simple: (r) =>
        `SELECT c.id, c.body FROM app.comments c WHERE c.post_id = ${int(r, 2e5)} ORDER BY c.created_at /*traceparent='00-${'0'.repeat(16)}${int(r, 1e9).toString(16).padStart(16, '0')}-${'a'.repeat(16)}-01'*/`,
    },
    {
      simple: (r) =>
        `WITH recent AS (\n  SELECT user_id, max(created_at) AS last_order\n    FROM app.orders\n   WHERE created_at > now() - interval '${int(r, 30)} days'\n   GROUP BY user_id\n)\nSELECT u.email, r.last_order FROM recent r JOIN app.users u ON u.id = r.user_id LIMIT ${int(r, 100)}`,
    },
    {
      simple: (r) => `SELECT id FROM app.orders WHERE status = 'paid' AND total_cents > ${int(r, 50000)} LIMIT 100`,
    },
    {
      simple: (r) =>
        `SELECT u.id, u.email FROM app.users u WHERE NOT EXISTS (SELECT 1 FROM app.orders o WHERE o.user_id = u.id) AND u.created_at < ${str(day(r))}`,
    },
    {
      simple: (r) =>
        `SELECT name FROM app.products WHERE price_cents BETWEEN ${int(r, 1000)} AND ${1000 + int(r, 9000)}`,
    },
    {
      simple: (r) => `UPDATE app.products SET stock = stock - ${int(r, 3)} WHERE id = ${int(r, 1e4)} AND stock > 0`,
      extended: {
        text: 'UPDATE app.products SET stock = stock - $1 WHERE id = $2 AND stock > 0',
        params: (r) => [String(int(r, 3)), String(int(r, 1e4))],
      },
    },
  ];
  // Thirty more simple lookups over the other tables and columns, for a realistic spread of shapes.
  const columns = ['id', 'created_at', 'status', 'user_id', 'team_id', 'post_id'] as const;
  for (let k = 0; list.length < 50; k++) {
    // Each k is a distinct (table, column) pair, so every shape has its own fingerprint (aliases do not count).
    const table = TABLES[k % TABLES.length]!;
    const column = columns[Math.floor(k / TABLES.length) % columns.length]!;
    const limit = 10 + (k % 4) * 10;
    if (k % 3 === 0) {
      list.push({
        simple: (r) => `SELECT * FROM app.${table} WHERE ${column} = ${int(r, 1e5)} ORDER BY id LIMIT ${limit}`,
      });
    } else if (k % 3 === 1) {
      list.push({
        simple: (r) => `SELECT count(*) FROM app.${table} WHERE ${column} > ${int(r, 1e5)}`,
        extended: {
          text: `SELECT count(*) FROM app.${table} WHERE ${column} > $1`,
          params: (r) => [String(int(r, 1e5))],
        },
      });
    } else {
      list.push({
        simple: (r) =>
          `SELECT ${column}, count(*) FROM app.${table} WHERE id < ${int(r, 1e6)} GROUP BY ${column} /* batch ${int(r, 99)} */`,
      });
    }
  }
  return list;
}

/** What a generated log contains. */
export interface GeneratedLog {
  bytes: number;
  lines: number;
  /** Executed statements that count as calls (extended `execute` and simple `statement`). */
  calls: number;
  /** Statement shapes used. */
  shapes: number;
  /** Garbage lines injected (the reader must report exactly these as skipped). */
  garbageLines: number;
  /** Transaction-control statements (BEGIN/COMMIT), which the reader excludes. */
  transactionControl: number;
}

const GARBAGE = [
  '*** glibc detected *** double free or corruption',
  'pg_ctl: another server might be running; trying to start server anyway',
  '\u0000\u0000\u0000 binary junk \u00ff\u00fe',
  'Traceback (most recent call last):',
  '   at java.base/java.lang.Thread.run(Thread.java:833)',
] as const;

/** Writes about `targetBytes` of log to `file`. */
export async function generateLog(file: string, targetBytes: number, seed = 42): Promise<GeneratedLog> {
  const r = rng(seed);
  const list = shapes();
  const out = createWriteStream(file, { highWaterMark: 8 << 20 });
  const stats: GeneratedLog = {
    bytes: 0,
    lines: 0,
    calls: 0,
    shapes: list.length,
    garbageLines: 0,
    transactionControl: 0,
  };
  const base = Date.UTC(2024, 4, 1, 8, 0, 0);
  let clock = 0;
  const users = ['app', 'api', 'worker', 'report'];
  const apps = ['web', 'api', 'sidekiq', 'psql', ''];
  const tabbed = (s: string) => s.replace(/\n/g, '\n\t');
  let buf: string[] = [];
  let bufLen = 0;
  const push = (s: string) => {
    buf.push(s);
    bufLen += s.length;
    let nl = 0;
    for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) nl++;
    stats.lines += nl;
  };
  while (stats.bytes < targetBytes) {
    clock += 1 + Math.floor(r() * 3);
    const ts = new Date(base + clock).toISOString().replace('T', ' ').replace('Z', ' UTC');
    const pid = 10000 + Math.floor(r() * 200);
    const prefix = `${ts} [${pid}] ${pick(r, users)}@shop/${pick(r, apps)} `;
    const x = r();
    const ms = (r() * r() * 50).toFixed(3);
    if (x < 0.001) {
      push(`${pick(r, GARBAGE)}\n`);
      stats.garbageLines++;
    } else if (x < 0.004) {
      push(
        `${prefix}LOG:  checkpoint complete: wrote ${int(r, 5000)} buffers (0.${int(r, 9)}%); 0 WAL file(s) added\n`,
      );
    } else if (x < 0.006) {
      push(
        `${prefix}ERROR:  relation "app.${pick(r, TABLES)}_old" does not exist at character 15\n${prefix}STATEMENT:  SELECT * FROM app.${pick(r, TABLES)}_old WHERE id = ${int(r, 100)}\n`,
      );
    } else if (x < 0.03) {
      push(`${prefix}LOG:  duration: 0.0${int(r, 9)}0 ms  statement: ${r() < 0.5 ? 'BEGIN' : 'COMMIT'}\n`);
      stats.transactionControl++;
    } else {
      const shape = pick(r, list);
      if (shape.extended && r() < 0.45) {
        const params = shape.extended.params(r);
        const detail = `${prefix}DETAIL:  parameters: ${params.map((p, i) => `$${i + 1} = ${str(p)}`).join(', ')}\n`;
        const text = tabbed(shape.extended.text);
        if (r() < 0.3) {
          push(`${prefix}LOG:  duration: 0.0${int(r, 9)}1 ms  parse <unnamed>: ${text}\n`);
          push(`${prefix}LOG:  duration: 0.0${int(r, 9)}2 ms  bind <unnamed>: ${text}\n${detail}`);
        }
        push(`${prefix}LOG:  duration: ${ms} ms  execute <unnamed>: ${text}\n${detail}`);
      } else {
        push(`${prefix}LOG:  duration: ${ms} ms  statement: ${tabbed(shape.simple(r))}\n`);
      }
      stats.calls++;
    }
    if (bufLen >= 4 << 20) {
      const chunk = buf.join('');
      buf = [];
      bufLen = 0;
      stats.bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
  }
  const chunk = buf.join('');
  stats.bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(out, 'finish');
  return stats;
}
