import { describe, expect, it } from 'vitest';
import { parseModel } from '../../../src/design/model/load.js';
import { generateMongo } from '../../../src/design/mongo/generate.js';

const MODEL = `version: 1
name: blog
entities:
  authors:
    key: uuid
    fields:
      email: { type: string, format: email, required: true, unique: true }
      name: { type: string, required: true }
      status: { type: enum, values: [active, banned], required: true }
      joined_at: { type: timestamp, required: true, default: now }
  addresses:
    fields:
      city: { type: string, required: true }
  articles:
    fields:
      title: { type: string, required: true }
      body: { type: string, required: true }
      published_at: { type: timestamp }
      rating: { type: decimal, precision: 3, scale: 1, min: 0, max: 5 }
  reactions:
    fields:
      kind: { type: enum, values: [like, love], required: true }
  events:
    fields:
      at: { type: timestamp, required: true }
  tags:
    fields:
      label: { type: string, required: true }
  readers:
    fields:
      name: { type: string, required: true }
  drafts:
    fields:
      title: { type: string, required: true }
      saved_at: { type: timestamp, required: true }
relationships:
  - { type: 1:N, from: authors, to: drafts, cardinality: { average: 20, max: 500 } }
  - { type: 1:N, from: authors, to: addresses, owned: true, cardinality: { average: 1.2, max: 5 } }
  - { type: 1:N, from: authors, to: articles, cardinality: { average: 40, max: 500 } }
  - { type: 1:N, from: articles, to: reactions, owned: true }
  - { type: 1:N, from: authors, to: events }
  - { type: N:M, from: articles, to: tags, cardinality: { max: 10 } }
  - { type: N:M, from: articles, to: readers }
accessPatterns:
  - { name: author-page, entity: authors, filters: [{ field: id }], with: [addresses, articles] }
  - { name: latest-articles, entity: articles, filters: [{ field: published_at, op: gte }, { field: author_id }], sort: published_at desc, limit: 20 }
  - { name: login, entity: authors, filters: [{ field: email, op: ieq }] }
  - { name: banned, entity: authors, filters: [{ field: status, value: banned, selectivity: 0.01 }], sort: joined_at desc }
  - { name: search, entity: articles, filters: [{ field: body, op: search }] }
  - { name: find-draft, entity: drafts, filters: [{ field: title, op: prefix }] }
`;

const design = () => generateMongo(parseModel(MODEL, 'model.yaml').logical);
const advice = (from: string, to: string) =>
  design().relationships.find((a) => a.relationship.from === from && a.relationship.to === to)!;

describe('MongoDB design', () => {
  it('embeds one-to-few children read with their parent', () => {
    const a = advice('authors', 'addresses');
    expect(a).toMatchObject({
      decision: 'embed',
      holder: 'authors',
      field: 'addresses',
      cardinality: 'few',
      ruleId: 'mongo-model-advice',
    });
    expect(a.rule).toMatch(/^one-to-few, read with the parent: embed/);
    const authors = design().collections.find((c) => c.name === 'authors')!;
    const props = authors.validator.$jsonSchema.properties as Record<
      string,
      { bsonType: string; maxItems?: number; items?: { properties: object } }
    >;
    expect(props.addresses).toMatchObject({ bsonType: 'array', maxItems: 5 });
    expect(Object.keys(props.addresses!.items!.properties)).toEqual(['id', 'city']);
    expect(design().collections.map((c) => c.name)).not.toContain('addresses');
  });

  it('uses the subset pattern for one-to-many children that are also read on their own', () => {
    const a = advice('authors', 'drafts');
    expect(a).toMatchObject({ decision: 'hybrid', cardinality: 'many', ruleId: 'mongo-model-advice' });
    expect(a.rule).toMatch(/subset pattern/);
    const authors = design().collections.find((c) => c.name === 'authors')!;
    expect((authors.validator.$jsonSchema.properties as Record<string, unknown>).recent_drafts).toMatchObject({
      bsonType: 'array',
      maxItems: 10,
    });
    expect(design().collections.map((c) => c.name)).toContain('drafts');
  });

  it('keeps a child that has children of its own in its own collection', () => {
    const a = advice('authors', 'articles');
    expect(a).toMatchObject({ decision: 'reference', holder: 'articles' });
    expect(a.because).toMatch(/articles have children of their own/);
  });

  it('references the parent from the child for one-to-squillions (no upper bound)', () => {
    const a = advice('authors', 'events');
    expect(a).toMatchObject({
      decision: 'reference',
      holder: 'events',
      cardinality: 'squillions',
      ruleId: 'mongo-model-advice',
    });
    expect(a.rule).toMatch(/^one-to-squillions/);
  });

  it('keeps N:M as a bounded array of references, or a link collection when unbounded', () => {
    expect(advice('articles', 'tags')).toMatchObject({ decision: 'embed', holder: 'articles', field: 'tags' });
    expect(advice('articles', 'readers')).toMatchObject({
      decision: 'reference',
      holder: 'articles_readers',
      ruleId: 'mongo-link-collection',
    });
    const names = design().collections.map((c) => c.name);
    expect(names).toContain('articles_readers');
    expect(names).not.toContain('articles_tags');
    const link = design().collections.find((c) => c.name === 'articles_readers')!;
    expect(link.indexes.find((i) => i.unique)?.key).toEqual({ article_id: 1, reader_id: 1 });
  });

  it('writes $jsonSchema validators: required, enum, email pattern, BSON types', () => {
    const authors = design().collections.find((c) => c.name === 'authors')!.validator.$jsonSchema;
    expect(authors.required).toEqual(['_id', 'email', 'name', 'status', 'joined_at']);
    const p = authors.properties as Record<string, Record<string, unknown>>;
    expect(p._id).toEqual({ bsonType: 'binData' });
    expect(p.status).toEqual({ bsonType: 'string', enum: ['active', 'banned'] });
    expect(p.email!.pattern).toBe('^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$');
    expect(p.joined_at).toEqual({ bsonType: 'date' });
    const articles = design().collections.find((c) => c.name === 'articles')!.validator.$jsonSchema;
    const ap = articles.properties as Record<string, Record<string, unknown>>;
    expect(ap.rating).toEqual({ bsonType: 'decimal', minimum: 0, maximum: 5 });
    expect(ap.author_id).toMatchObject({ bsonType: 'binData' });
    expect(articles.required).not.toContain('published_at');
  });

  it('orders index keys Equality → Sort → Range, with partial, collation, text and reference indexes', () => {
    const cols = design().collections;
    const articles = cols.find((c) => c.name === 'articles')!;
    expect(articles.indexes.map((i) => i.key)).toContainEqual({ author_id: 1, published_at: -1 });
    expect(articles.indexes.map((i) => i.key)).toContainEqual({ body: 'text' });
    // The reference index on author_id is the prefix of the ESR index: not created twice.
    expect(articles.indexes.map((i) => i.key)).not.toContainEqual({ author_id: 1 });
    const authors = cols.find((c) => c.name === 'authors')!;
    expect(authors.indexes).toContainEqual(
      expect.objectContaining({ key: { email: 1 }, collation: { locale: 'en', strength: 2 } }),
    );
    expect(authors.indexes).toContainEqual(expect.objectContaining({ key: { email: 1 }, unique: true }));
    expect(authors.indexes).toContainEqual(
      expect.objectContaining({ key: { joined_at: -1 }, partialFilterExpression: { status: 'banned' } }),
    );
    const script = design().script;
    expect(script).toContain('db.createCollection("authors", {');
    expect(script).toContain('"validationAction": "error"');
  });
});
