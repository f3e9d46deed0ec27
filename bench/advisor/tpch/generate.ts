import {
  COMMENT_WORDS,
  CONTAINER_S1,
  CONTAINER_S2,
  CURRENT_DATE,
  INSTRUCTIONS,
  LAST_ORDER_DATE,
  MODES,
  NATIONS,
  P_NAME_WORDS,
  PRIORITIES,
  REGIONS,
  SEGMENTS,
  START_DATE,
  TYPE_S1,
  TYPE_S2,
  TYPE_S3,
} from './domains.js';

/**
 * A deterministic TPC-H data generator that runs inside PostgreSQL: every value is a pure function of the row's
 * key and a seed, computed with `generate_series` and `hashint8extended` (a built-in, seeded 64-bit hash), so a
 * scale factor of 1 loads without a client round trip per row and the same seed always gives the same rows.
 *
 * Cardinalities, key rules and value domains follow the TPC-H specification (v3, clause 4.2): SF × 10 000
 * suppliers, 150 000 customers, 200 000 parts with 4 suppliers each (the spec's supplier formula), 1 500 000 orders
 * on sparse keys (8 of every 32) with 1–7 line items each, only customers whose key is not a multiple of 3 order,
 * dates between 1992-01-01 and 1998-08-02 with ship/commit/receipt offsets, return flags and line statuses
 * relative to 1995-06-17, prices from the part-key formula, order totals and statuses derived from their lines.
 * Primary keys as in the specification; no secondary index (the advisors choose them).
 */

/** Rows per table at a scale factor (region and nation are fixed). */
export function tpchRowCounts(sf: number): Record<string, number> {
  const n = (base: number) => Math.max(1, Math.round(base * sf));
  return {
    region: 5,
    nation: 25,
    supplier: n(10_000),
    customer: n(150_000),
    part: n(200_000),
    partsupp: n(200_000) * 4,
    orders: n(1_500_000),
  };
}

/** The TPC-H schema (clause 1.4) with its primary keys. */
export const TPCH_SCHEMA_SQL = `
CREATE TABLE region (
  r_regionkey integer NOT NULL PRIMARY KEY,
  r_name char(25) NOT NULL,
  r_comment varchar(152)
);
CREATE TABLE nation (
  n_nationkey integer NOT NULL PRIMARY KEY,
  n_name char(25) NOT NULL,
  n_regionkey integer NOT NULL,
  n_comment varchar(152)
);
CREATE TABLE part (
  p_partkey integer NOT NULL PRIMARY KEY,
  p_name varchar(55) NOT NULL,
  p_mfgr char(25) NOT NULL,
  p_brand char(10) NOT NULL,
  p_type varchar(25) NOT NULL,
  p_size integer NOT NULL,
  p_container char(10) NOT NULL,
  p_retailprice numeric(15, 2) NOT NULL,
  p_comment varchar(23) NOT NULL
);
CREATE TABLE supplier (
  s_suppkey integer NOT NULL PRIMARY KEY,
  s_name char(25) NOT NULL,
  s_address varchar(40) NOT NULL,
  s_nationkey integer NOT NULL,
  s_phone char(15) NOT NULL,
  s_acctbal numeric(15, 2) NOT NULL,
  s_comment varchar(101) NOT NULL
);
CREATE TABLE partsupp (
  ps_partkey integer NOT NULL,
  ps_suppkey integer NOT NULL,
  ps_availqty integer NOT NULL,
  ps_supplycost numeric(15, 2) NOT NULL,
  ps_comment varchar(199) NOT NULL,
  PRIMARY KEY (ps_partkey, ps_suppkey)
);
CREATE TABLE customer (
  c_custkey integer NOT NULL PRIMARY KEY,
  c_name varchar(25) NOT NULL,
  c_address varchar(40) NOT NULL,
  c_nationkey integer NOT NULL,
  c_phone char(15) NOT NULL,
  c_acctbal numeric(15, 2) NOT NULL,
  c_mktsegment char(10) NOT NULL,
  c_comment varchar(117) NOT NULL
);
CREATE TABLE orders (
  o_orderkey bigint NOT NULL PRIMARY KEY,
  o_custkey integer NOT NULL,
  o_orderstatus char(1) NOT NULL,
  o_totalprice numeric(15, 2) NOT NULL,
  o_orderdate date NOT NULL,
  o_orderpriority char(15) NOT NULL,
  o_clerk char(15) NOT NULL,
  o_shippriority integer NOT NULL,
  o_comment varchar(79) NOT NULL
);
CREATE TABLE lineitem (
  l_orderkey bigint NOT NULL,
  l_partkey integer NOT NULL,
  l_suppkey integer NOT NULL,
  l_linenumber integer NOT NULL,
  l_quantity numeric(15, 2) NOT NULL,
  l_extendedprice numeric(15, 2) NOT NULL,
  l_discount numeric(15, 2) NOT NULL,
  l_tax numeric(15, 2) NOT NULL,
  l_returnflag char(1) NOT NULL,
  l_linestatus char(1) NOT NULL,
  l_shipdate date NOT NULL,
  l_commitdate date NOT NULL,
  l_receiptdate date NOT NULL,
  l_shipinstruct char(25) NOT NULL,
  l_shipmode char(10) NOT NULL,
  l_comment varchar(44) NOT NULL,
  PRIMARY KEY (l_orderkey, l_linenumber)
);
`;

/** Foreign keys (clause 1.4.2): declared after the load; the planner uses them for join selectivity. */
export const TPCH_FOREIGN_KEYS_SQL = `
ALTER TABLE nation ADD FOREIGN KEY (n_regionkey) REFERENCES region;
ALTER TABLE supplier ADD FOREIGN KEY (s_nationkey) REFERENCES nation;
ALTER TABLE customer ADD FOREIGN KEY (c_nationkey) REFERENCES nation;
ALTER TABLE partsupp ADD FOREIGN KEY (ps_partkey) REFERENCES part;
ALTER TABLE partsupp ADD FOREIGN KEY (ps_suppkey) REFERENCES supplier;
ALTER TABLE orders ADD FOREIGN KEY (o_custkey) REFERENCES customer;
ALTER TABLE lineitem ADD FOREIGN KEY (l_orderkey) REFERENCES orders;
ALTER TABLE lineitem ADD FOREIGN KEY (l_partkey, l_suppkey) REFERENCES partsupp;
`;

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
const arr = (xs: readonly string[]) => `(ARRAY[${xs.map(lit).join(',')}]::text[])`;

/** SQL expressions for seeded pseudo-random values of a row key; streams keep the columns independent. */
class Rand {
  readonly #seed: number;
  constructor(seed: number) {
    this.#seed = seed;
  }
  /** Uniform in [0, 1): the low 52 bits of a seeded hash of the key. */
  u(key: string, stream: number): string {
    return `((hashint8extended((${key})::int8, ${this.#seed * 1000 + stream}) & 4503599627370495)::float8 / 4503599627370496.0)`;
  }
  /** Uniform integer in [lo, hi]. */
  int(key: string, stream: number, lo: number | string, hi: number | string): string {
    return `((${lo}) + floor(${this.u(key, stream)} * ((${hi}) - (${lo}) + 1))::int8)`;
  }
  /** One element of a list. */
  pick(key: string, stream: number, xs: readonly string[]): string {
    return `${arr(xs)}[${this.int(key, stream, 1, xs.length)}]`;
  }
  /** A money amount with cents in [lo, hi]. */
  money(key: string, stream: number, lo: number, hi: number): string {
    return `(${this.int(key, stream, Math.round(lo * 100), Math.round(hi * 100))}::numeric / 100)`;
  }
  /** Random words cut to a random length in [minLen, maxLen] (the spec's comment lengths). */
  text(key: string, stream: number, minLen: number, maxLen: number): string {
    const words = Math.ceil(maxLen / 5);
    const parts: string[] = [];
    for (let i = 0; i < words; i++) parts.push(this.pick(key, stream * 64 + i, COMMENT_WORDS));
    return `left(${parts.join(` || ' ' || `)}, ${this.int(key, stream * 64 + 63, minLen, maxLen)}::int)`;
  }
  /** A random alphanumeric address of length [10, 40]. */
  address(key: string, stream: number): string {
    return `left(md5((${key})::text || '-${this.#seed}-${stream}') || md5((${key})::text || '+${stream}'), ${this.int(key, stream, 10, 40)}::int)`;
  }
  /** Phone number `CC-LLL-LLL-LLLL` with country code nation + 10 (clause 4.2.2.9). */
  phone(key: string, stream: number, nation: string): string {
    return `((${nation}) + 10)::text || '-' || ${this.int(key, stream, 100, 999)}::text || '-' || ${this.int(key, stream + 1, 100, 999)}::text || '-' || ${this.int(key, stream + 2, 1000, 9999)}::text`;
  }
}

/** `Name#000000042`: the spec's zero-padded names. */
const padded = (prefix: string, key: string) => `'${prefix}#' || lpad((${key})::text, 9, '0')`;

/** The spec's part retail price formula (clause 4.2.3). */
const retailPrice = (partkey: string) =>
  `((90000 + (((${partkey}) / 10) % 20001) + 100 * ((${partkey}) % 1000))::numeric / 100)`;

/** One load step: a label and its SQL. */
export interface LoadStep {
  label: string;
  sql: string;
}

/**
 * The load, step by step: schema, region, nation, supplier, customer, part, partsupp, lineitem, orders, foreign
 * keys, VACUUM ANALYZE. `orders` rows compute their total and status from the same line functions as `lineitem`.
 */
export function tpchLoadSteps(sf: number, seed = 1): LoadStep[] {
  const r = new Rand(seed);
  const counts = tpchRowCounts(sf);
  const S = counts.supplier!;
  const C = counts.customer!;
  const P = counts.part!;
  const O = counts.orders!;
  // The spec's formula is meant for real scale factors; with a few suppliers it can repeat one for a part.
  for (let p = 1; p <= P; p++) {
    const s = new Set([0, 1, 2, 3].map((i) => (p + i * (Math.floor(S / 4) + Math.floor((p - 1) / S))) % S));
    if (s.size < 4) throw new Error(`scale factor ${sf} is too small: part ${p} would get a supplier twice`);
  }
  const steps: LoadStep[] = [{ label: 'schema', sql: TPCH_SCHEMA_SQL }];
  steps.push({
    label: 'region',
    sql: `INSERT INTO region SELECT i - 1, (${arr(REGIONS)})[i], ${r.text('i', 1, 31, 115)} FROM generate_series(1, 5) i`,
  });
  steps.push({
    label: 'nation',
    sql: `INSERT INTO nation VALUES ${NATIONS.map(([name, region], i) => `(${i}, ${lit(name)}, ${region}, ${r.text(String(i), 2, 31, 114)})`).join(', ')}`,
  });
  // Suppliers: 5 per 10 000 carry "Customer … Complaints" and 5 "Customer … Recommends" (clause 4.2.3).
  const sComment = r.text('k', 10, 25, 100);
  const sTag = r.u('k', 11);
  steps.push({
    label: 'supplier',
    sql: `INSERT INTO supplier
      SELECT k, ${padded('Supplier', 'k')}, ${r.address('k', 12)}, n, ${r.phone('k', 13, 'n')}, ${r.money('k', 16, -999.99, 9999.99)},
             CASE WHEN ${sTag} < 0.0005 THEN left('Customer ' || ${r.pick('k', 17, COMMENT_WORDS)} || ' Complaints ' || ${sComment}, 100)
                  WHEN ${sTag} < 0.001 THEN left('Customer ' || ${r.pick('k', 17, COMMENT_WORDS)} || ' Recommends ' || ${sComment}, 100)
                  ELSE ${sComment} END
        FROM (SELECT k, ${r.int('k', 18, 0, 24)}::int AS n FROM generate_series(1, ${S}) k) s`,
  });
  steps.push({
    label: 'customer',
    sql: `INSERT INTO customer
      SELECT k, ${padded('Customer', 'k')}, ${r.address('k', 20)}, n, ${r.phone('k', 21, 'n')}, ${r.money('k', 24, -999.99, 9999.99)},
             ${r.pick('k', 25, SEGMENTS)}, ${r.text('k', 26, 29, 116)}
        FROM (SELECT k, ${r.int('k', 27, 0, 24)}::int AS n FROM generate_series(1, ${C}) k) s`,
  });
  const nameWords = [0, 1, 2, 3, 4].map((i) => r.pick('k', 30 + i, P_NAME_WORDS)).join(` || ' ' || `);
  steps.push({
    label: 'part',
    sql: `INSERT INTO part
      SELECT k, ${nameWords}, 'Manufacturer#' || m, 'Brand#' || m || ${r.int('k', 36, 1, 5)},
             ${r.pick('k', 37, TYPE_S1)} || ' ' || ${r.pick('k', 38, TYPE_S2)} || ' ' || ${r.pick('k', 39, TYPE_S3)},
             ${r.int('k', 40, 1, 50)}, ${r.pick('k', 41, CONTAINER_S1)} || ' ' || ${r.pick('k', 42, CONTAINER_S2)},
             ${retailPrice('k')}, ${r.text('k', 43, 5, 22)}
        FROM (SELECT k, ${r.int('k', 35, 1, 5)} AS m FROM generate_series(1, ${P}) k) s`,
  });
  // The spec's supplier of the i-th (0..3) partsupp row of a part.
  const suppOf = (partkey: string, i: string) =>
    `((((${partkey}) + (${i}) * (${Math.floor(S / 4)} + ((${partkey}) - 1) / ${S})) % ${S}) + 1)`;
  steps.push({
    label: 'partsupp',
    sql: `INSERT INTO partsupp
      SELECT k, ${suppOf('k', 'i')}, ${r.int('k * 4 + i', 50, 1, 9999)}, ${r.money('k * 4 + i', 51, 1, 1000)}, ${r.text('k * 4 + i', 52, 49, 198)}
        FROM generate_series(1, ${P}) k, generate_series(0, 3) i
       ORDER BY 1, 2`,
  });
  // Orders on sparse keys: the i-th order (1-based) has key ((i-1)/8)*32 + (i-1)%8 + 1.
  const orderKey = '((((i) - 1) / 8) * 32 + ((i) - 1) % 8 + 1)';
  const orderDate = `(date '${START_DATE}' + ${r.int('i', 60, 0, `date '${LAST_ORDER_DATE}' - date '${START_DATE}'`)}::int)`;
  const lines = r.int('i', 61, 1, 7);
  // Line-item columns as functions of the order ordinal `i`, its date `od` and the line number `ln`.
  const lk = 'i * 8 + ln';
  const partkey = r.int(lk, 70, 1, P);
  const line = {
    partkey: 'pk',
    suppkey: suppOf('pk', r.int(lk, 71, 0, 3)),
    quantity: `${r.int(lk, 72, 1, 50)}::numeric`,
    discount: `(${r.int(lk, 73, 0, 10)}::numeric / 100)`,
    tax: `(${r.int(lk, 74, 0, 8)}::numeric / 100)`,
    shipdate: `(od + ${r.int(lk, 75, 1, 121)}::int)`,
    commitdate: `(od + ${r.int(lk, 76, 30, 90)}::int)`,
    receiptOffset: `${r.int(lk, 77, 1, 30)}::int`,
  };
  const lineRows = `
      SELECT i, od, ln, ${partkey} AS pk
        FROM (SELECT i, ${orderDate} AS od, ${lines} AS n FROM generate_series(1, ${O}) i) o,
             LATERAL generate_series(1, o.n) ln`;
  steps.push({
    label: 'lineitem',
    sql: `INSERT INTO lineitem
      SELECT ${orderKey}, pk, ${line.suppkey}, ln, q, round(q * ${retailPrice('pk')}, 2), ${line.discount}, ${line.tax},
             CASE WHEN ship + ${line.receiptOffset} <= date '${CURRENT_DATE}' THEN ${r.pick(lk, 78, ['R', 'A'])} ELSE 'N' END,
             CASE WHEN ship > date '${CURRENT_DATE}' THEN 'O' ELSE 'F' END,
             ship, ${line.commitdate}, ship + ${line.receiptOffset},
             ${r.pick(lk, 79, INSTRUCTIONS)}, ${r.pick(lk, 80, MODES)}, ${r.text(lk, 81, 10, 43)}
        FROM (SELECT i, od, ln, pk, ${line.quantity} AS q, ${line.shipdate} AS ship FROM (${lineRows}) x) y`,
  });
  // Orders: totals and statuses from the same line functions (no join with lineitem).
  const cust = r.int('i', 62, 1, C);
  steps.push({
    label: 'orders',
    sql: `INSERT INTO orders
      SELECT ${orderKey},
             CASE WHEN c % 3 = 0 THEN CASE WHEN c + 1 <= ${C} THEN c + 1 ELSE c - 1 END ELSE c END,
             CASE WHEN t.open_lines = 0 THEN 'F' WHEN t.open_lines = n THEN 'O' ELSE 'P' END,
             t.total, od, ${r.pick('i', 63, PRIORITIES)}, ${padded('Clerk', r.int('i', 64, 1, Math.max(1, Math.round(sf * 1000))))}, 0,
             ${r.text('i', 65, 19, 78)}
        FROM (SELECT i, ${orderDate} AS od, ${lines} AS n, ${cust} AS c FROM generate_series(1, ${O}) i) o,
             LATERAL (
               SELECT round(sum(round(q * ${retailPrice('pk')}, 2) * (1 + tax) * (1 - disc)), 2) AS total,
                      count(*) FILTER (WHERE ship > date '${CURRENT_DATE}') AS open_lines
                 FROM (SELECT ${partkey} AS pk, ${line.quantity} AS q, ${line.tax} AS tax, ${line.discount} AS disc,
                              ${line.shipdate} AS ship
                         FROM generate_series(1, o.n) ln) l
             ) t`,
  });
  steps.push({ label: 'foreign keys', sql: TPCH_FOREIGN_KEYS_SQL });
  steps.push({ label: 'vacuum analyze', sql: 'VACUUM ANALYZE' });
  return steps;
}
