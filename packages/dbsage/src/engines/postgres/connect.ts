import type { PgClient } from './client.js';
import { EmbeddedClient } from './embedded-client.js';
import { ServerClient } from './server-client.js';

/** Where to connect: a URL, the embedded engine, or the environment (DATABASE_URL / PG*). */
export type Target = { kind: 'url'; url: string } | { kind: 'embedded'; dataDir?: string } | { kind: 'env' };

/** Resolves the CLI's target argument and flags into a {@link Target}. */
export function resolveTarget(arg: string | undefined, embedded: string | boolean | undefined): Target {
  if (embedded !== undefined && embedded !== false) {
    return typeof embedded === 'string' ? { kind: 'embedded', dataDir: embedded } : { kind: 'embedded' };
  }
  if (arg) return { kind: 'url', url: arg };
  if (process.env.DATABASE_URL) return { kind: 'url', url: process.env.DATABASE_URL };
  return { kind: 'env' };
}

/** Opens a client for a target. Connection failures throw ConnectionError (host:port only). */
export async function openClient(
  target: Target,
  options: { statementTimeoutMillis?: number; lockTimeoutMillis?: number } = {},
): Promise<PgClient> {
  switch (target.kind) {
    case 'embedded':
      return EmbeddedClient.open({ ...(target.dataDir ? { dataDir: target.dataDir } : {}), ...options });
    case 'url':
      return ServerClient.connect({ connectionString: target.url, ...options });
    case 'env':
      return ServerClient.connect(options);
  }
}
