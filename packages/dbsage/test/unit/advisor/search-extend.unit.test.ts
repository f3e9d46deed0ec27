import { describe, expect, it } from 'vitest';
import { makeCandidate } from '../../../src/advisor/indexes/candidate.js';
import { extendsCandidate } from '../../../src/advisor/indexes/search.js';

const key = (column: string) => ({ column, expression: null, descending: false, opclass: null });
const btree = (keys: string[], include: string[] = []) =>
  makeCandidate({
    schema: 'public',
    table: 'orders',
    method: 'btree',
    keys: keys.map(key),
    include,
    predicate: null,
    predicateColumns: [],
    kinds: include.length ? ['covering'] : ['single'],
  });

describe('widening moves of the search', () => {
  it('never treats two covering variants with the same columns in another INCLUDE order as a widening', () => {
    // TPC-H Q3/Q10 on orders produced both; each "extended" the other and the search swapped them until its time
    // limit (60 s) ran out.
    const ab = btree(['o_orderdate'], ['o_custkey', 'o_orderkey']);
    const ba = btree(['o_orderdate'], ['o_orderkey', 'o_custkey']);
    expect(ab.id).not.toBe(ba.id);
    expect(extendsCandidate(ab, ba)).toBe(false);
    expect(extendsCandidate(ba, ab)).toBe(false);
  });

  it('still widens by a key or by a new INCLUDE column, and keys may absorb INCLUDE columns', () => {
    const narrow = btree(['o_orderdate']);
    const covering = btree(['o_orderdate'], ['o_custkey']);
    expect(extendsCandidate(narrow, covering)).toBe(true);
    expect(extendsCandidate(covering, btree(['o_orderdate'], ['o_custkey', 'o_orderkey']))).toBe(true);
    expect(extendsCandidate(covering, btree(['o_orderdate', 'o_custkey']))).toBe(true);
    expect(extendsCandidate(btree(['o_orderdate', 'o_custkey']), covering)).toBe(false);
    expect(extendsCandidate(covering, narrow)).toBe(false);
  });
});
