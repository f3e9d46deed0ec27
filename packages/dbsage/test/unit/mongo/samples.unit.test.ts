import { Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { locateJsonError } from '../../../src/mongo/json-position.js';
import { parsePipelineFile, parseQueries } from '../../../src/mongo/operations.js';
import { limitSample, parseSamples } from '../../../src/mongo/samples.js';

function inputError(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('parseSamples', () => {
  it('reads mongoexport NDJSON in Extended JSON into BSON types, with lines', () => {
    const text = [
      '{"_id":{"$oid":"65a000000000000000000001"},"n":{"$numberLong":"9007199254740993"},"at":{"$date":"2024-01-01T00:00:00Z"}}',
      '',
      '{"_id":{"$oid":"65a000000000000000000002"},"n":1,"at":{"$date":{"$numberLong":"1704067200000"}}}',
    ].join('\n');
    const { documents, lines } = parseSamples(text, 'users.ndjson');
    expect(lines).toEqual([1, 3]);
    expect(documents[0]!._id).toBeInstanceOf(ObjectId);
    expect(documents[0]!.n).toBeInstanceOf(Long); // past 2^53: kept exact
    expect(documents[1]!.n).toBe(1);
    expect((documents[1]!.at as Date).toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  it('reads JSON arrays (mongoexport --jsonArray) with each element’s start line', () => {
    const text = '[\n  {"a": 1},\n  {\n    "b": "x, ]"\n  },\n  {"c": [1, {"d": 2}]}\n]\n';
    const { documents, lines } = parseSamples(text, 'a.json');
    expect(documents).toEqual([{ a: 1 }, { b: 'x, ]' }, { c: [1, { d: 2 }] }]);
    expect(lines).toEqual([2, 3, 6]);
  });

  it('reads one pretty-printed document', () => {
    expect(parseSamples('{\n  "aggregate": "orders",\n  "pipeline": []\n}\n', 'p.json').documents).toEqual([
      { aggregate: 'orders', pipeline: [] },
    ]);
  });

  it('reports the file and line of a malformed NDJSON line', () => {
    const e = inputError(() => parseSamples('{"a":1}\n{"a":2}\n{"a": }\n{"a":4}\n', 'bad.ndjson'));
    expect(e.code).toBe('E_INPUT');
    expect(e.message).toMatch(/^bad\.ndjson:3:7: invalid JSON/);
  });

  it('reports the line and column inside a JSON array', () => {
    expect(inputError(() => parseSamples('[\n {"a": 1},\n {"a": 2,,}\n]', 'bad.json')).message).toMatch(
      /^bad\.json:3:10: invalid JSON/,
    );
  });

  it('reports invalid Extended JSON and non-documents at their line', () => {
    expect(inputError(() => parseSamples('{"a":1}\n{"_id":{"$oid":"nothex"}}\n', 'x.ndjson')).message).toMatch(
      /^x\.ndjson:2: invalid Extended JSON/,
    );
    expect(inputError(() => parseSamples('{"a":1}\n42\n', 'x.ndjson')).message).toBe(
      'x.ndjson:2: expected a document (a JSON object), got a number',
    );
  });

  it('samples evenly and deterministically', () => {
    const docs = Array.from({ length: 10 }, (_, i) => ({ i }));
    const limited = limitSample({ documents: docs, lines: docs.map((_, i) => i + 1) }, 4);
    expect(limited.documents.map((d) => d.i)).toEqual([0, 2, 5, 7]);
    expect(limited.total).toBe(10);
  });
});

describe('locateJsonError', () => {
  it('points at the first error, or nothing for valid JSON', () => {
    expect(locateJsonError('{"a": [1, 2}')).toMatchObject({ line: 1, column: 12 });
    expect(locateJsonError('{\n"a": tru\n}')).toMatchObject({ line: 2, column: 6 });
    expect(locateJsonError('{"a": "x\u0001"}')).toMatchObject({ reason: 'control character in string' });
    expect(locateJsonError('{"a": [1, {"b": null}], "c": -1.5e3}')).toBeUndefined();
  });
});

describe('workload files', () => {
  it('parses command-shaped queries, one operation per update statement', () => {
    const ops = parseQueries(
      '[{"find":"posts","filter":{"a":1},"sort":{"b":-1},"limit":5,"frequency":30,"name":"feed"},\n' +
        '{"update":"users","updates":[{"q":{"_id":1},"u":{"$set":{"name":"x"}}},{"q":{},"u":{"$inc":{"n":1}}}]}]',
      'q.json',
    );
    expect(ops.map((o) => [o.kind, o.collection, o.frequency, o.name])).toEqual([
      ['find', 'posts', 30, 'feed'],
      ['update', 'users', 1, undefined],
      ['update', 'users', 1, undefined],
    ]);
    expect(ops[0]).toMatchObject({ filter: { a: 1 }, sort: { b: -1 }, limit: 5, origin: { file: 'q.json', line: 1 } });
    expect(ops[1]!.origin).toEqual({ file: 'q.json', line: 2 });
  });

  it('rejects an entry that is not a command, with its line', () => {
    expect(inputError(() => parseQueries('{"find":"a"}\n{"collection":"a"}\n', 'q.ndjson')).message).toMatch(
      /^q\.ndjson:2: not a MongoDB command/,
    );
  });

  it('takes a bare pipeline with --collection, or an aggregate command', () => {
    expect(parsePipelineFile('[{"$match":{"a":1}},{"$limit":1}]', 'top.json', 'orders')[0]).toMatchObject({
      collection: 'orders',
      name: 'top',
      pipeline: [{ $match: { a: 1 } }, { $limit: 1 }],
    });
    expect(inputError(() => parsePipelineFile('[{"$match":{}}]', 'p.json', undefined)).message).toMatch(
      /needs --collection/,
    );
    expect(parsePipelineFile('{"aggregate":"o","pipeline":[]}', 'p.json', undefined)[0]).toMatchObject({
      collection: 'o',
      kind: 'aggregate',
    });
  });
});
