import {
  CONTAINER_S1,
  CONTAINER_S2,
  NATIONS,
  P_NAME_WORDS,
  REGIONS,
  SEGMENTS,
  TYPE_S1,
  TYPE_S2,
  TYPE_S3,
} from './domains.js';
import { SeededRandom } from './random.js';

/**
 * The 22 TPC-H queries (specification v3, clause 2.4) as templates, with their substitution parameters drawn per
 * the specification's rules from a seeded generator. Q15's view is written as the equivalent common table
 * expression (a form the specification allows as a variant). Each query is a plain SQL text with constants.
 */

/** One instantiated query. */
export interface TpchQuery {
  /** `Q1` … `Q22`. */
  id: string;
  sql: string;
  /** The substitution parameters used, for the report. */
  params: Record<string, string | number>;
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** First day of a random month between (y0, m0) and (y1, m1) inclusive. */
function randomMonth(rng: SeededRandom, y0: number, m0: number, y1: number, m1: number): string {
  const first = y0 * 12 + (m0 - 1);
  const last = y1 * 12 + (m1 - 1);
  const v = rng.int(first, last);
  return `${Math.floor(v / 12)}-${pad2((v % 12) + 1)}-01`;
}

const randomYear = (rng: SeededRandom) => `${rng.int(1993, 1997)}-01-01`;
const nationName = (rng: SeededRandom) => rng.pick(NATIONS)[0];
const brand = (rng: SeededRandom) => `Brand#${rng.int(1, 5)}${rng.int(1, 5)}`;
const container = (rng: SeededRandom) => `${rng.pick(CONTAINER_S1)} ${rng.pick(CONTAINER_S2)}`;

type Template = (rng: SeededRandom, sf: number) => { sql: string; params: Record<string, string | number> };

const TEMPLATES: Record<string, Template> = {
  Q1: (rng) => {
    const delta = rng.int(60, 120);
    return {
      params: { DELTA: delta },
      sql: `SELECT l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price,
       sum(l_extendedprice * (1 - l_discount)) AS sum_disc_price,
       sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) AS sum_charge,
       avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
  FROM lineitem
 WHERE l_shipdate <= date '1998-12-01' - interval '${delta} days'
 GROUP BY l_returnflag, l_linestatus
 ORDER BY l_returnflag, l_linestatus`,
    };
  },
  Q2: (rng) => {
    const size = rng.int(1, 50);
    const type = rng.pick(TYPE_S3);
    const region = rng.pick(REGIONS);
    return {
      params: { SIZE: size, TYPE: type, REGION: region },
      sql: `SELECT s_acctbal, s_name, n_name, p_partkey, p_mfgr, s_address, s_phone, s_comment
  FROM part, supplier, partsupp, nation, region
 WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey AND p_size = ${size} AND p_type LIKE ${q(`%${type}`)}
   AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = ${q(region)}
   AND ps_supplycost = (
     SELECT min(ps_supplycost) FROM partsupp, supplier, nation, region
      WHERE p_partkey = ps_partkey AND s_suppkey = ps_suppkey AND s_nationkey = n_nationkey
        AND n_regionkey = r_regionkey AND r_name = ${q(region)})
 ORDER BY s_acctbal DESC, n_name, s_name, p_partkey
 LIMIT 100`,
    };
  },
  Q3: (rng) => {
    const segment = rng.pick(SEGMENTS);
    const date = `1995-03-${pad2(rng.int(1, 31))}`;
    return {
      params: { SEGMENT: segment, DATE: date },
      sql: `SELECT l_orderkey, sum(l_extendedprice * (1 - l_discount)) AS revenue, o_orderdate, o_shippriority
  FROM customer, orders, lineitem
 WHERE c_mktsegment = ${q(segment)} AND c_custkey = o_custkey AND l_orderkey = o_orderkey
   AND o_orderdate < date ${q(date)} AND l_shipdate > date ${q(date)}
 GROUP BY l_orderkey, o_orderdate, o_shippriority
 ORDER BY revenue DESC, o_orderdate
 LIMIT 10`,
    };
  },
  Q4: (rng) => {
    const date = randomMonth(rng, 1993, 1, 1997, 10);
    return {
      params: { DATE: date },
      sql: `SELECT o_orderpriority, count(*) AS order_count
  FROM orders
 WHERE o_orderdate >= date ${q(date)} AND o_orderdate < date ${q(date)} + interval '3 months'
   AND EXISTS (SELECT * FROM lineitem WHERE l_orderkey = o_orderkey AND l_commitdate < l_receiptdate)
 GROUP BY o_orderpriority
 ORDER BY o_orderpriority`,
    };
  },
  Q5: (rng) => {
    const region = rng.pick(REGIONS);
    const date = randomYear(rng);
    return {
      params: { REGION: region, DATE: date },
      sql: `SELECT n_name, sum(l_extendedprice * (1 - l_discount)) AS revenue
  FROM customer, orders, lineitem, supplier, nation, region
 WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND l_suppkey = s_suppkey AND c_nationkey = s_nationkey
   AND s_nationkey = n_nationkey AND n_regionkey = r_regionkey AND r_name = ${q(region)}
   AND o_orderdate >= date ${q(date)} AND o_orderdate < date ${q(date)} + interval '1 year'
 GROUP BY n_name
 ORDER BY revenue DESC`,
    };
  },
  Q6: (rng) => {
    const date = randomYear(rng);
    const discount = rng.int(2, 9) / 100;
    const quantity = rng.int(24, 25);
    return {
      params: { DATE: date, DISCOUNT: discount, QUANTITY: quantity },
      sql: `SELECT sum(l_extendedprice * l_discount) AS revenue
  FROM lineitem
 WHERE l_shipdate >= date ${q(date)} AND l_shipdate < date ${q(date)} + interval '1 year'
   AND l_discount BETWEEN ${discount.toFixed(2)} - 0.01 AND ${discount.toFixed(2)} + 0.01 AND l_quantity < ${quantity}`,
    };
  },
  Q7: (rng) => {
    const [n1, n2] = rng.sample(NATIONS, 2).map((n) => n[0]);
    return {
      params: { NATION1: n1!, NATION2: n2! },
      sql: `SELECT supp_nation, cust_nation, l_year, sum(volume) AS revenue
  FROM (
    SELECT n1.n_name AS supp_nation, n2.n_name AS cust_nation, extract(year FROM l_shipdate) AS l_year,
           l_extendedprice * (1 - l_discount) AS volume
      FROM supplier, lineitem, orders, customer, nation n1, nation n2
     WHERE s_suppkey = l_suppkey AND o_orderkey = l_orderkey AND c_custkey = o_custkey
       AND s_nationkey = n1.n_nationkey AND c_nationkey = n2.n_nationkey
       AND ((n1.n_name = ${q(n1!)} AND n2.n_name = ${q(n2!)}) OR (n1.n_name = ${q(n2!)} AND n2.n_name = ${q(n1!)}))
       AND l_shipdate BETWEEN date '1995-01-01' AND date '1996-12-31'
  ) AS shipping
 GROUP BY supp_nation, cust_nation, l_year
 ORDER BY supp_nation, cust_nation, l_year`,
    };
  },
  Q8: (rng) => {
    const [nation, regionKey] = rng.pick(NATIONS);
    const region = REGIONS[regionKey]!;
    const type = `${rng.pick(TYPE_S1)} ${rng.pick(TYPE_S2)} ${rng.pick(TYPE_S3)}`;
    return {
      params: { NATION: nation, REGION: region, TYPE: type },
      sql: `SELECT o_year, sum(CASE WHEN nation = ${q(nation)} THEN volume ELSE 0 END) / sum(volume) AS mkt_share
  FROM (
    SELECT extract(year FROM o_orderdate) AS o_year, l_extendedprice * (1 - l_discount) AS volume, n2.n_name AS nation
      FROM part, supplier, lineitem, orders, customer, nation n1, nation n2, region
     WHERE p_partkey = l_partkey AND s_suppkey = l_suppkey AND l_orderkey = o_orderkey AND o_custkey = c_custkey
       AND c_nationkey = n1.n_nationkey AND n1.n_regionkey = r_regionkey AND r_name = ${q(region)}
       AND s_nationkey = n2.n_nationkey AND o_orderdate BETWEEN date '1995-01-01' AND date '1996-12-31'
       AND p_type = ${q(type)}
  ) AS all_nations
 GROUP BY o_year
 ORDER BY o_year`,
    };
  },
  Q9: (rng) => {
    const color = rng.pick(P_NAME_WORDS);
    return {
      params: { COLOR: color },
      sql: `SELECT nation, o_year, sum(amount) AS sum_profit
  FROM (
    SELECT n_name AS nation, extract(year FROM o_orderdate) AS o_year,
           l_extendedprice * (1 - l_discount) - ps_supplycost * l_quantity AS amount
      FROM part, supplier, lineitem, partsupp, orders, nation
     WHERE s_suppkey = l_suppkey AND ps_suppkey = l_suppkey AND ps_partkey = l_partkey AND p_partkey = l_partkey
       AND o_orderkey = l_orderkey AND s_nationkey = n_nationkey AND p_name LIKE ${q(`%${color}%`)}
  ) AS profit
 GROUP BY nation, o_year
 ORDER BY nation, o_year DESC`,
    };
  },
  Q10: (rng) => {
    const date = randomMonth(rng, 1993, 2, 1995, 1);
    return {
      params: { DATE: date },
      sql: `SELECT c_custkey, c_name, sum(l_extendedprice * (1 - l_discount)) AS revenue, c_acctbal, n_name, c_address,
       c_phone, c_comment
  FROM customer, orders, lineitem, nation
 WHERE c_custkey = o_custkey AND l_orderkey = o_orderkey AND o_orderdate >= date ${q(date)}
   AND o_orderdate < date ${q(date)} + interval '3 months' AND l_returnflag = 'R' AND c_nationkey = n_nationkey
 GROUP BY c_custkey, c_name, c_acctbal, c_phone, n_name, c_address, c_comment
 ORDER BY revenue DESC
 LIMIT 20`,
    };
  },
  Q11: (rng, sf) => {
    const nation = nationName(rng);
    const fraction = 0.0001 / sf;
    return {
      params: { NATION: nation, FRACTION: fraction },
      sql: `SELECT ps_partkey, sum(ps_supplycost * ps_availqty) AS value
  FROM partsupp, supplier, nation
 WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = ${q(nation)}
 GROUP BY ps_partkey
HAVING sum(ps_supplycost * ps_availqty) > (
  SELECT sum(ps_supplycost * ps_availqty) * ${fraction}
    FROM partsupp, supplier, nation
   WHERE ps_suppkey = s_suppkey AND s_nationkey = n_nationkey AND n_name = ${q(nation)})
 ORDER BY value DESC`,
    };
  },
  Q12: (rng) => {
    const [m1, m2] = rng.sample(['REG AIR', 'AIR', 'RAIL', 'SHIP', 'TRUCK', 'MAIL', 'FOB'], 2);
    const date = randomYear(rng);
    return {
      params: { SHIPMODE1: m1!, SHIPMODE2: m2!, DATE: date },
      sql: `SELECT l_shipmode,
       sum(CASE WHEN o_orderpriority = '1-URGENT' OR o_orderpriority = '2-HIGH' THEN 1 ELSE 0 END) AS high_line_count,
       sum(CASE WHEN o_orderpriority <> '1-URGENT' AND o_orderpriority <> '2-HIGH' THEN 1 ELSE 0 END) AS low_line_count
  FROM orders, lineitem
 WHERE o_orderkey = l_orderkey AND l_shipmode IN (${q(m1!)}, ${q(m2!)}) AND l_commitdate < l_receiptdate
   AND l_shipdate < l_commitdate AND l_receiptdate >= date ${q(date)}
   AND l_receiptdate < date ${q(date)} + interval '1 year'
 GROUP BY l_shipmode
 ORDER BY l_shipmode`,
    };
  },
  Q13: (rng) => {
    const w1 = rng.pick(['special', 'pending', 'unusual', 'express']);
    const w2 = rng.pick(['packages', 'requests', 'accounts', 'deposits']);
    return {
      params: { WORD1: w1, WORD2: w2 },
      sql: `SELECT c_count, count(*) AS custdist
  FROM (
    SELECT c_custkey, count(o_orderkey)
      FROM customer LEFT OUTER JOIN orders ON c_custkey = o_custkey AND o_comment NOT LIKE ${q(`%${w1}%${w2}%`)}
     GROUP BY c_custkey
  ) AS c_orders (c_custkey, c_count)
 GROUP BY c_count
 ORDER BY custdist DESC, c_count DESC`,
    };
  },
  Q14: (rng) => {
    const date = randomMonth(rng, 1993, 1, 1997, 12);
    return {
      params: { DATE: date },
      sql: `SELECT 100.00 * sum(CASE WHEN p_type LIKE 'PROMO%' THEN l_extendedprice * (1 - l_discount) ELSE 0 END)
       / sum(l_extendedprice * (1 - l_discount)) AS promo_revenue
  FROM lineitem, part
 WHERE l_partkey = p_partkey AND l_shipdate >= date ${q(date)} AND l_shipdate < date ${q(date)} + interval '1 month'`,
    };
  },
  Q15: (rng) => {
    const date = randomMonth(rng, 1993, 1, 1997, 10);
    return {
      params: { DATE: date },
      sql: `WITH revenue (supplier_no, total_revenue) AS (
  SELECT l_suppkey, sum(l_extendedprice * (1 - l_discount))
    FROM lineitem
   WHERE l_shipdate >= date ${q(date)} AND l_shipdate < date ${q(date)} + interval '3 months'
   GROUP BY l_suppkey)
SELECT s_suppkey, s_name, s_address, s_phone, total_revenue
  FROM supplier, revenue
 WHERE s_suppkey = supplier_no AND total_revenue = (SELECT max(total_revenue) FROM revenue)
 ORDER BY s_suppkey`,
    };
  },
  Q16: (rng) => {
    const b = brand(rng);
    const type = `${rng.pick(TYPE_S1)} ${rng.pick(TYPE_S2)}`;
    const sizes = rng.sample(
      Array.from({ length: 50 }, (_, i) => i + 1),
      8,
    );
    return {
      params: { BRAND: b, TYPE: type, SIZES: sizes.join(',') },
      sql: `SELECT p_brand, p_type, p_size, count(DISTINCT ps_suppkey) AS supplier_cnt
  FROM partsupp, part
 WHERE p_partkey = ps_partkey AND p_brand <> ${q(b)} AND p_type NOT LIKE ${q(`${type}%`)}
   AND p_size IN (${sizes.join(', ')})
   AND ps_suppkey NOT IN (SELECT s_suppkey FROM supplier WHERE s_comment LIKE '%Customer%Complaints%')
 GROUP BY p_brand, p_type, p_size
 ORDER BY supplier_cnt DESC, p_brand, p_type, p_size`,
    };
  },
  Q17: (rng) => {
    const b = brand(rng);
    const c = container(rng);
    return {
      params: { BRAND: b, CONTAINER: c },
      sql: `SELECT sum(l_extendedprice) / 7.0 AS avg_yearly
  FROM lineitem, part
 WHERE p_partkey = l_partkey AND p_brand = ${q(b)} AND p_container = ${q(c)}
   AND l_quantity < (SELECT 0.2 * avg(l_quantity) FROM lineitem WHERE l_partkey = p_partkey)`,
    };
  },
  Q18: (rng) => {
    const quantity = rng.int(312, 315);
    return {
      params: { QUANTITY: quantity },
      sql: `SELECT c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice, sum(l_quantity)
  FROM customer, orders, lineitem
 WHERE o_orderkey IN (SELECT l_orderkey FROM lineitem GROUP BY l_orderkey HAVING sum(l_quantity) > ${quantity})
   AND c_custkey = o_custkey AND o_orderkey = l_orderkey
 GROUP BY c_name, c_custkey, o_orderkey, o_orderdate, o_totalprice
 ORDER BY o_totalprice DESC, o_orderdate
 LIMIT 100`,
    };
  },
  Q19: (rng) => {
    const q1 = rng.int(1, 10);
    const q2 = rng.int(10, 20);
    const q3 = rng.int(20, 30);
    const [b1, b2, b3] = [brand(rng), brand(rng), brand(rng)];
    return {
      params: { QUANTITY1: q1, QUANTITY2: q2, QUANTITY3: q3, BRAND1: b1, BRAND2: b2, BRAND3: b3 },
      sql: `SELECT sum(l_extendedprice * (1 - l_discount)) AS revenue
  FROM lineitem, part
 WHERE (p_partkey = l_partkey AND p_brand = ${q(b1)} AND p_container IN ('SM CASE', 'SM BOX', 'SM PACK', 'SM PKG')
        AND l_quantity >= ${q1} AND l_quantity <= ${q1 + 10} AND p_size BETWEEN 1 AND 5
        AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
    OR (p_partkey = l_partkey AND p_brand = ${q(b2)} AND p_container IN ('MED BAG', 'MED BOX', 'MED PKG', 'MED PACK')
        AND l_quantity >= ${q2} AND l_quantity <= ${q2 + 10} AND p_size BETWEEN 1 AND 10
        AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')
    OR (p_partkey = l_partkey AND p_brand = ${q(b3)} AND p_container IN ('LG CASE', 'LG BOX', 'LG PACK', 'LG PKG')
        AND l_quantity >= ${q3} AND l_quantity <= ${q3 + 10} AND p_size BETWEEN 1 AND 15
        AND l_shipmode IN ('AIR', 'AIR REG') AND l_shipinstruct = 'DELIVER IN PERSON')`,
    };
  },
  Q20: (rng) => {
    const color = rng.pick(P_NAME_WORDS);
    const date = randomYear(rng);
    const nation = nationName(rng);
    return {
      params: { COLOR: color, DATE: date, NATION: nation },
      sql: `SELECT s_name, s_address
  FROM supplier, nation
 WHERE s_suppkey IN (
     SELECT ps_suppkey FROM partsupp
      WHERE ps_partkey IN (SELECT p_partkey FROM part WHERE p_name LIKE ${q(`${color}%`)})
        AND ps_availqty > (
          SELECT 0.5 * sum(l_quantity) FROM lineitem
           WHERE l_partkey = ps_partkey AND l_suppkey = ps_suppkey
             AND l_shipdate >= date ${q(date)} AND l_shipdate < date ${q(date)} + interval '1 year'))
   AND s_nationkey = n_nationkey AND n_name = ${q(nation)}
 ORDER BY s_name`,
    };
  },
  Q21: (rng) => {
    const nation = nationName(rng);
    return {
      params: { NATION: nation },
      sql: `SELECT s_name, count(*) AS numwait
  FROM supplier, lineitem l1, orders, nation
 WHERE s_suppkey = l1.l_suppkey AND o_orderkey = l1.l_orderkey AND o_orderstatus = 'F'
   AND l1.l_receiptdate > l1.l_commitdate
   AND EXISTS (SELECT * FROM lineitem l2 WHERE l2.l_orderkey = l1.l_orderkey AND l2.l_suppkey <> l1.l_suppkey)
   AND NOT EXISTS (
     SELECT * FROM lineitem l3
      WHERE l3.l_orderkey = l1.l_orderkey AND l3.l_suppkey <> l1.l_suppkey AND l3.l_receiptdate > l3.l_commitdate)
   AND s_nationkey = n_nationkey AND n_name = ${q(nation)}
 GROUP BY s_name
 ORDER BY numwait DESC, s_name
 LIMIT 100`,
    };
  },
  Q22: (rng) => {
    const codes = rng.sample(
      Array.from({ length: 25 }, (_, i) => String(i + 10)),
      7,
    );
    const list = codes.map(q).join(', ');
    return {
      params: { CODES: codes.join(',') },
      sql: `SELECT cntrycode, count(*) AS numcust, sum(c_acctbal) AS totacctbal
  FROM (
    SELECT substring(c_phone FROM 1 FOR 2) AS cntrycode, c_acctbal
      FROM customer
     WHERE substring(c_phone FROM 1 FOR 2) IN (${list})
       AND c_acctbal > (
         SELECT avg(c_acctbal) FROM customer
          WHERE c_acctbal > 0.00 AND substring(c_phone FROM 1 FOR 2) IN (${list}))
       AND NOT EXISTS (SELECT * FROM orders WHERE o_custkey = c_custkey)
  ) AS custsale
 GROUP BY cntrycode
 ORDER BY cntrycode`,
    };
  },
};

/** Query ids in order. */
export const TPCH_QUERY_IDS: readonly string[] = Object.keys(TEMPLATES);

/**
 * The 22 queries with parameters from `seed` (each query draws from its own stream, so adding or reordering
 * queries never changes another query's parameters).
 */
export function tpchQueries(sf: number, seed = 1): TpchQuery[] {
  return TPCH_QUERY_IDS.map((id, i) => {
    const rng = new SeededRandom(seed * 7919 + (i + 1) * 104_729);
    const { sql, params } = TEMPLATES[id]!(rng, sf);
    return { id, sql, params };
  });
}
