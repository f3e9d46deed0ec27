import { ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { distribution, inferSchema, jsonSchemaValidator, typescriptDeclarations } from '../../../src/mongo/schema.js';
import { polymorphicFields, schemaFindings } from '../../../src/mongo/schema-findings.js';
import { dataset } from './dataset.js';

const docs = [
  { _id: new ObjectId(), name: 'a', age: 30, tags: ['x', 'y'], address: { city: 'Lyon' } },
  { _id: new ObjectId(), name: 'b', age: '41', tags: [] },
  { _id: new ObjectId(), name: 'c', age: 22, tags: ['x', 'y', 'z', 'w'], address: { city: 'Graz', zip: '8010' } },
  { _id: new ObjectId(), name: 'd', age: 35, tags: ['q'] },
];

describe('inferSchema', () => {
  it('infers paths, type probabilities, optional and polymorphic fields, array lengths and sizes', async () => {
    const s = await inferSchema('users', docs);
    const by = Object.fromEntries(s.fields.map((f) => [f.path, f]));
    expect(Object.keys(by).sort()).toEqual(['_id', 'address', 'address.city', 'address.zip', 'age', 'name', 'tags']);
    expect(by.age).toMatchObject({ polymorphic: true, optional: false, probability: 1 });
    expect(by.age!.types).toEqual([
      { type: 'Number', count: 3, probability: 0.75 },
      { type: 'String', count: 1, probability: 0.25 },
    ]);
    expect(by.address).toMatchObject({ optional: true, probability: 0.5, polymorphic: false });
    expect(by['address.zip']).toMatchObject({ optional: true, probability: 0.5 });
    expect(by.tags!.arrayLengths).toEqual({ count: 4, min: 0, p50: 1, p95: 4, max: 4, average: 1.75 });
    expect(s.documentBytes.count).toBe(4);
    expect(s.documentBytes.max).toBeGreaterThan(s.documentBytes.min);
    expect(s.largestDocument).toBe(2);
  });

  it('emits findings: schema summary with a validator, and one per polymorphic field', async () => {
    const s = await inferSchema('users', docs);
    const ds = dataset([{ name: 'users', documents: docs }]);
    const schemas = new Map([['users', s]]);
    const validator = (await jsonSchemaValidator(docs)) as Record<string, unknown>;
    expect(validator).toMatchObject({
      bsonType: 'object',
      required: expect.arrayContaining(['_id', 'age', 'name', 'tags']),
    });
    const [summary] = schemaFindings(ds, schemas, new Map([['users', validator]]));
    expect(summary).toMatchObject({ ruleId: 'mongo-schema', category: 'mongo', severity: 'info' });
    expect(summary!.evidence).toMatchObject({
      documents: 4,
      optional: ['address', 'address.zip'],
      polymorphic: ['age'],
    });
    expect(summary!.remediation?.code).toContain('"$jsonSchema"');
    const poly = polymorphicFields(ds, schemas);
    expect(poly).toHaveLength(1);
    expect(poly[0]).toMatchObject({
      ruleId: 'mongo-polymorphic-field',
      title: 'users.age is stored as Number (75%) and String (25%)',
    });
    expect(poly[0]!.remediation?.code).toBe(
      'db.users.updateMany({ "age": { $type: "string" } }, [{ $set: { "age": { $convert: { input: "$age", to: "double", onError: "$age" } } } }])',
    );
  });

  it('does not call int/double mixes polymorphic', async () => {
    const s = await inferSchema('t', [{ n: 1 }, { n: 2.5 }]);
    expect(s.fields[0]!.polymorphic).toBe(false);
  });

  it('writes TypeScript with BSON types and optional fields', async () => {
    const ts = typescriptDeclarations([await inferSchema('user_profiles', docs)]);
    expect(ts).toContain("import type { ObjectId } from 'bson';");
    expect(ts).toContain('export interface UserProfilesDocument {');
    expect(ts).toContain('  _id: ObjectId;');
    expect(ts).toContain('  age: number | string;');
    expect(ts).toContain('  tags: string[];');
    expect(ts).toMatch(/ {2}address\?: \{\n {4}city: string;\n {4}zip\?: string;\n {2}\};/);
  });

  it('computes nearest-rank percentiles', () => {
    expect(distribution([5, 1, 3, 2, 4])).toEqual({ count: 5, min: 1, p50: 3, p95: 5, max: 5, average: 3 });
    expect(distribution([])).toMatchObject({ count: 0, max: 0 });
  });
});
