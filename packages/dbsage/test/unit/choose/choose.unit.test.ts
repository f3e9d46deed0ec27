import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseAnswers } from '../../../src/choose/answers.js';
import { promptAnswers } from '../../../src/choose/prompt.js';
import { type Choice, choose } from '../../../src/choose/rank.js';
import { renderChoice } from '../../../src/choose/render.js';
import { InputError } from '../../../src/errors.js';

const dir = new URL('../../../../../examples/design/choose/', import.meta.url);
const scenario = (name: string): Choice =>
  choose(parseAnswers(readFileSync(new URL(`${name}.yaml`, dir), 'utf8'), name));
const reasons = (c: Choice, rank: number) => c.ranking[rank]!.reasons.map((r) => `${r.because} | ${r.answer}`);

describe('choose: scenarios', () => {
  it('append-only metrics with time-window queries: PostgreSQL + TimescaleDB, InfluxDB next', () => {
    const c = scenario('metrics');
    expect(c.ranking[0]!.name).toBe('PostgreSQL + TimescaleDB');
    expect(c.ranking[1]!.id).toBe('influxdb');
    expect(reasons(c, 0)).toContain(
      'with TimescaleDB: hypertables, compression, continuous aggregates, retention, in SQL | data shape: timestamped measurements or events',
    );
    expect(reasons(c, 1).join('\n')).toMatch(/retention policies .*\| retention: expired or downsampled/);
  });

  it('social graph with multi-hop traversal: Neo4j, PostgreSQL (recursive CTEs) behind', () => {
    const c = scenario('social-graph');
    expect(c.ranking[0]!.id).toBe('neo4j');
    expect(reasons(c, 0).join('\n')).toMatch(/multi-hop traversals .* \| special needs: traversals of several hops/);
    const pg = c.ranking.find((e) => e.id === 'postgresql')!;
    expect(pg.reasons.some((r) => r.points < 0 && /recursive CTEs slow down/.test(r.because))).toBe(true);
    expect(c.boringDefault.rank).toBe(2);
    expect(c.boringDefault.verdict).toMatch(/^Neo4j beats the boring default by \d+ points/);
  });

  it('session cache: Redis, for its TTLs, sub-millisecond reads and rebuildable data', () => {
    const c = scenario('session-cache');
    expect(c.ranking[0]!.id).toBe('redis');
    const r = reasons(c, 0).join('\n');
    expect(r).toContain('per-key TTLs in memory: expiry is free | retention: minutes to hours');
    expect(r).toContain('latency target: under a millisecond');
    expect(r).toContain('durability: acceptable');
    const pg = c.ranking.find((e) => e.id === 'postgresql')!;
    expect(pg.reasons.some((x) => /vacuum churn/.test(x.because))).toBe(true);
  });

  it('product catalog with varying attributes: PostgreSQL jsonb first, MongoDB the alternative with the reason', () => {
    const c = scenario('product-catalog');
    expect(c.ranking[0]!.id).toBe('postgresql');
    expect(c.ranking[0]!.extensions).toEqual(['jsonb', 'pg_trgm']);
    expect(c.alternative.id).toBe('mongodb');
    expect(c.alternative.because[0]).toBe(
      'documents are its native model: nested data is read and written as one (data shape: self-contained documents with nested parts and varying attributes)',
    );
    // What keeps PostgreSQL ahead is tied to answers: transactions across records and ad-hoc queries.
    expect(reasons(c, 0)).toContain(
      'ACID transactions across any rows and tables, with serializable isolation | transactions: yes, across several records or tables (money, inventory)',
    );
    const text = renderChoice(c, 'tty');
    expect(text).toMatch(/ALTERNATIVE\n\nMongoDB, \d+ points behind: documents are its native model/);
  });

  it('relevance search over documents: Elasticsearch / OpenSearch, PostgreSQL full-text second', () => {
    const c = scenario('document-search');
    expect(c.ranking[0]!.id).toBe('elasticsearch');
    expect(c.ranking[1]!.name).toBe('PostgreSQL + full-text search (tsvector)');
    expect(reasons(c, 0).join('\n')).toContain('relevance ranking (BM25)');
  });

  it('known-pattern key lookups at very large scale: DynamoDB, Cassandra next', () => {
    const c = scenario('key-lookups-at-scale');
    expect(c.ranking[0]!.id).toBe('dynamodb');
    expect(c.ranking[1]!.id).toBe('cassandra');
    const r = reasons(c, 0).join('\n');
    expect(r).toContain('global tables: multi-region, multi-writer, managed | scale-out: writes in several regions');
    expect(r).toContain('petabyte tables without operations work | data size: over 20 TB');
    expect(c.boringDefault.rank).toBeGreaterThan(3);
  });

  it('plain SaaS OLTP: the boring default is the call', () => {
    const c = scenario('saas-oltp');
    expect(c.ranking[0]!.name).toBe('PostgreSQL');
    expect(c.boringDefault).toMatchObject({ rank: 1 });
    expect(c.boringDefault.verdict).toMatch(/^the boring default is the call/);
  });

  it('ad-hoc analytics over very large data: ClickHouse', () => {
    const c = scenario('analytics');
    expect(c.ranking[0]!.id).toBe('clickhouse');
    expect(reasons(c, 0).join('\n')).toContain('columnar scans and vectorised aggregation');
    const pg = c.ranking.find((e) => e.id === 'postgresql')!;
    expect(pg.reasons.some((x) => x.points === -10 && /row storage scans terabytes/.test(x.because))).toBe(true);
  });

  it('embeddings: PostgreSQL + pgvector', () => {
    const c = scenario('embeddings');
    expect(c.ranking[0]!.name).toBe('PostgreSQL + pgvector');
  });

  it('geospatial: PostgreSQL + PostGIS', () => {
    const c = scenario('geospatial');
    expect(c.ranking[0]!.name).toBe('PostgreSQL + PostGIS');
  });

  it('leaderboard and counters: Redis', () => {
    const c = scenario('leaderboard');
    expect(c.ranking[0]!.id).toBe('redis');
    expect(reasons(c, 0).join('\n')).toContain('INCR, sorted sets and TTLs');
  });

  it('a MySQL team with an ordinary web app: MySQL, PostgreSQL a close second', () => {
    const c = scenario('mysql-team');
    expect(c.ranking[0]!.id).toBe('mysql');
    expect(c.alternative.id).toBe('postgresql');
    expect(c.alternative.behind).toBeLessThan(10);
    // Without the team's experience, the boring default would win: a computed change of call.
    expect(c.wouldChange).toContainEqual(
      expect.objectContaining({ question: 'team_knows', value: 'none', engine: 'postgresql' }),
    );
  });

  it('multi-region event ingest at very high rates: Cassandra, DynamoDB next', () => {
    const c = scenario('event-ingest');
    expect(c.ranking.slice(0, 2).map((e) => e.id)).toEqual(['cassandra', 'dynamodb']);
  });

  it('a MongoDB team storing documents: MongoDB, PostgreSQL + jsonb second', () => {
    const c = scenario('mongodb-team-documents');
    expect(c.ranking[0]!.id).toBe('mongodb');
    expect(c.ranking[1]!.name).toBe('PostgreSQL + jsonb');
  });
});

describe('choose: what would change the call', () => {
  it('every listed change really puts that engine first, and no other single change does', () => {
    const base = parseAnswers(readFileSync(new URL('metrics.yaml', dir), 'utf8'), 'metrics');
    const c = choose(base);
    expect(c.wouldChange.length).toBeGreaterThan(0);
    for (const w of c.wouldChange.filter((x) => x.question !== 'needs')) {
      expect(choose({ ...base, [w.question]: w.value }).ranking[0]!.id).toBe(w.engine);
    }
    // A change that does not flip the call is not listed.
    expect(choose({ ...base, latency: 'interactive' }).ranking[0]!.id).toBe('postgresql');
    expect(c.wouldChange.some((w) => w.question === 'latency' && w.value === 'interactive')).toBe(false);
  });

  it('unanswered questions take their defaults (a relational OLTP app)', () => {
    const c = choose({});
    expect(c.answers.data_shape).toBe('relational');
    expect(c.ranking[0]!.id).toBe('postgresql');
  });
});

describe('choose: answers file', () => {
  const errorOf = (text: string): InputError => {
    try {
      parseAnswers(text, 'answers.yaml');
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return e as InputError;
    }
    throw new Error('expected an error');
  };

  it('names the key, the allowed values and the line of a bad answer', () => {
    const e = errorOf('data_shape: relational\nwrite_rate: fast\n');
    expect(e.message).toBe(
      'answers.yaml:2:13: write_rate: expected one of "low", "medium", "high", "very-high" (got "fast")',
    );
  });

  it('rejects unknown questions at their line', () => {
    expect(errorOf('data_shape: graph\n\nlatncy: sub-ms\n').message).toBe(
      'answers.yaml:3:1: latncy: unknown key "latncy"',
    );
  });

  it('accepts JSON and a single value for a multi-select question', () => {
    expect(parseAnswers('{"needs": "geospatial", "access": "ad-hoc"}', 'a.json')).toEqual({
      needs: ['geospatial'],
      access: 'ad-hoc',
    });
  });
});

describe('choose: terminal prompts', () => {
  it('asks each unanswered question, takes defaults on Enter, re-asks on bad input', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d) => {
      shown += String(d);
    });
    // data_shape preset; needs: "2,5" (fuzzy-text, geospatial); access: "9" (invalid) then "3"; rest: Enter.
    input.end(['2,5', '9', '3', '', '', '', '', '', '', '', '', '', ''].join('\n'));
    const answers = await promptAnswers(input, output, { data_shape: 'relational' });
    expect(answers).toMatchObject({ data_shape: 'relational', needs: ['fuzzy-text', 'geospatial'], access: 'ad-hoc' });
    expect(answers.transactions).toBeUndefined(); // Enter: the default applies later
    expect(shown).toContain('2/14 Which of these does the application need?');
    expect(shown).toContain('answer with one number from 1 to 3');
    expect(shown).not.toContain('\n1/14 '); // the preset question is not asked
    expect(choose(answers).ranking[0]!.name).toBe('PostgreSQL + pg_trgm, PostGIS');
  });
});
