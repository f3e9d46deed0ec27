import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectLiveDataset } from '../../../src/engines/mongo/collect.js';
import { DriverMongoReader, redactMongoUri } from '../../../src/engines/mongo/driver-reader.js';
import { ConnectionError } from '../../../src/errors.js';
import type { Finding } from '../../../src/findings/finding.js';
import { analyzeMongo } from '../../../src/mongo/analyze.js';
import { runCli } from '../../support/cli.js';
import { type FakeMongod, startFakeMongod } from './fake-mongod.js';

const fixtures = fileURLToPath(new URL('../../fixtures/mongo/live-shop', import.meta.url));
/** Commands the analysis may send; everything else (insert, update, createIndexes, drop…) would be a write. */
const READ_COMMANDS = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'listCollections',
  'aggregate',
  'listIndexes',
  'find',
  'getMore',
  'endSessions',
  'killCursors',
  'saslStart',
]);

let server: FakeMongod;
beforeAll(async () => {
  server = await startFakeMongod(fixtures);
});
afterAll(async () => {
  await server.close();
});

describe('live mode through the official driver, against recorded replies', () => {
  it('reads collections, samples (with getMore), indexes with $indexStats, $collStats and the profiler', async () => {
    server.commands.length = 0;
    const reader = await DriverMongoReader.open(server.uri, { maxTimeMillis: 4321 });
    const ds = await collectLiveDataset(reader, { sampleSize: 500 });
    await reader.close();
    expect(ds).toMatchObject({ database: 'shop', mode: 'live', profilerRead: true });
    expect(ds.collectionNames).toEqual(['order_totals', 'orders', 'products', 'users']); // views counted, system.* not
    const summary = [...ds.collections.values()].map((c) => ({
      name: c.name,
      documents: c.documents.length,
      count: c.stats?.count,
      indexes: c.indexes?.map((i) => `${i.name}:${i.accesses?.ops ?? '?'}`),
    }));
    expect(summary).toEqual([
      { name: 'orders', documents: 24, count: 2_400_000, indexes: ['_id_:300000', 'userId_1:560000', 'status_1:0'] },
      { name: 'products', documents: 8, count: 1200, indexes: ['_id_:70000'] },
      { name: 'users', documents: 40, count: 52_000, indexes: ['_id_:?', 'email_1:?'] },
    ]);
    // The Unauthorized $indexStats became a note; the profiler's three admin-page queries are one operation.
    expect(ds.notes).toEqual([
      expect.stringMatching(
        /^\$indexStats on users failed: not authorized .*clusterMonitor.*unused-index checks skipped for users\.$/,
      ),
    ]);
    expect(ds.operations.map((o) => [o.kind, o.collection, o.frequency, o.profile?.planSummary])).toEqual([
      ['find', 'orders', 3, 'COLLSCAN'],
      ['aggregate', 'orders', 1, 'IXSCAN { userId: 1 }'],
      ['update', 'users', 1, 'IDHACK'],
    ]);
    // Two $sample cursors needed a getMore each.
    expect(server.commands.filter((c) => c.name === 'getMore').map((c) => String(c.body.collection))).toEqual([
      'orders',
      'users',
    ]);
  });

  it('sends only read commands, each with maxTimeMS (getMore carries the cursor’s limit), never $out/$merge', async () => {
    const sent = server.commands.filter(
      (c) => !['hello', 'isMaster', 'ismaster', 'endSessions', 'killCursors'].includes(c.name),
    );
    expect(sent.length).toBeGreaterThan(10);
    for (const c of sent) {
      expect(READ_COMMANDS.has(c.name), c.name).toBe(true);
      if (c.name !== 'getMore') expect(c.body.maxTimeMS, c.name).toBe(4321);
      expect(JSON.stringify(c.body.pipeline ?? [])).not.toMatch(/\$out|\$merge/);
    }
    expect(sent.find((c) => c.name === 'aggregate')?.body.pipeline).toEqual([{ $sample: { size: 500 } }]);
  });

  it('analyses the live sample: unused index, profiler COLLSCAN with ESR index, heavy $lookup', async () => {
    const reader = await DriverMongoReader.open(server.uri);
    const ds = await collectLiveDataset(reader, { sampleSize: 1000 });
    await reader.close();
    const a = await analyzeMongo(ds);
    const by = (id: string) => a.findings.filter((f: Finding) => f.ruleId === id);
    expect(by('mongo-unused-index').map((f) => f.evidence.index)).toEqual(['status_1']);
    const scan = by('mongo-unindexed-query')[0]!;
    expect(scan.remediation?.code).toBe('db.orders.createIndex({ status: 1, createdAt: -1 })');
    expect(scan.evidence).toMatchObject({
      indexUsed: 'status_1',
      frequency: 3,
      profile: { planSummary: 'COLLSCAN', docsExamined: 2_400_000, millis: 1910 },
    });
    expect(scan.location).toEqual({ object: 'orders' });
    expect(by('mongo-large-skip')[0]!.evidence.skip).toBe(5000);
    expect(by('mongo-polymorphic-field')[0]!.evidence.path).toBe('age');
  });

  it('dbsage mongo URI prints the report with the redacted target', async () => {
    const r = await runCli(['mongo', server.uri, '--format', 'tty', '--fail-on', 'low']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`dbsage mongo — shop — mongodb://127.0.0.1:${server.port}/shop`);
    expect(r.stdout).toContain('live, read-only: 3 collections sampled (72 documents)');
    expect(r.stdout).toContain('[mongo-unused-index]');
  });
});

describe('credentials never leave dbsage', () => {
  it('redacts the password in URIs, including multi-host ones', () => {
    expect(
      redactMongoUri('mongodb://app:s3cr%40t@h1:27017,h2:27017/shop?replicaSet=rs0&tlsCertificateKeyFilePassword=x'),
    ).toBe('mongodb://app@h1:27017,h2:27017/shop');
    expect(redactMongoUri('mongodb+srv://u:p@cluster0.example.net/')).toBe('mongodb+srv://u@cluster0.example.net/');
  });

  it('a failed authentication names the server without the password (exit 2)', async () => {
    const uri = `mongodb://admin:s3cret-pw@127.0.0.1:${server.port}/shop?serverSelectionTimeoutMS=2000`;
    await expect(DriverMongoReader.open(uri)).rejects.toBeInstanceOf(ConnectionError);
    const r = await runCli(['mongo', uri]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^dbsage: cannot connect to mongodb:\/\/admin@127\.0\.0\.1:\d+\/shop: /);
    expect(r.stderr).not.toContain('s3cret');
  });

  it('an unreachable server fails fast with exit 2 and no password', async () => {
    const r = await runCli(['mongo', 'mongodb://ops:hunter2@127.0.0.1:1/shop?serverSelectionTimeoutMS=300']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot connect to mongodb://ops@127.0.0.1:1/shop');
    expect(r.stderr).not.toContain('hunter2');
  });
});
