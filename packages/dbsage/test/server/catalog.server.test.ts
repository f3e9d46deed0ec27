import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, hasTestPostgres, type TestDatabase } from '../../../../test/support/pg-database.js';
import { readCatalog } from '../../src/catalog/introspect.js';
import { ServerClient } from '../../src/engines/postgres/server-client.js';
import { assertKnownSchema } from '../shared/catalog-assertions.js';

describe.skipIf(!hasTestPostgres())('catalog on PostgreSQL 15', () => {
  let db: TestDatabase;
  let client: ServerClient;
  beforeAll(async () => {
    db = await createTestDatabase('catalog', []);
    await db.admin.query(readFileSync(new URL('../fixtures/known-schema.sql', import.meta.url), 'utf8'));
    await db.flushStats();
    client = await ServerClient.connect({ connectionString: db.url });
  });
  afterAll(async () => {
    await client?.close();
    await db?.drop();
  });

  it('reads the known schema into the model', async () => {
    const catalog = await client.transaction((tx) => readCatalog(tx));
    expect(catalog.serverVersionNum).toBeGreaterThanOrEqual(150000);
    assertKnownSchema(catalog);
  });
});
