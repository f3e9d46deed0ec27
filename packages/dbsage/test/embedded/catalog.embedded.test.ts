import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCatalog } from '../../src/catalog/introspect.js';
import { EmbeddedClient } from '../../src/engines/postgres/embedded-client.js';
import { assertKnownSchema } from '../shared/catalog-assertions.js';

describe('catalog on PGlite', () => {
  let client: EmbeddedClient;
  beforeAll(async () => {
    client = await EmbeddedClient.open();
    await client.execWrite(readFileSync(new URL('../fixtures/known-schema.sql', import.meta.url), 'utf8'));
    // One backend: its pending statistics reach pg_stat_* only when flushed.
    await client.execWrite('SELECT pg_stat_force_next_flush()');
    await client.execWrite('SELECT 1');
  });
  afterAll(async () => {
    await client?.close();
  });

  it('reads the known schema into the model', async () => {
    const catalog = await client.transaction((tx) => readCatalog(tx));
    expect(catalog.serverVersionNum).toBeGreaterThanOrEqual(180000);
    assertKnownSchema(catalog);
  });

  it('refuses writes in analysis queries', async () => {
    await expect(client.query('DELETE FROM app.orders')).rejects.toMatchObject({ sqlState: '25006' });
  });
});
