import { type Db, MongoClient, type MongoClientOptions } from 'mongodb';
import { ConnectionError, QueryError, UsageError } from '../../errors.js';
import type { MongoCollectionStats, MongoDocument, MongoIndex } from '../../mongo/types.js';
import { redactText } from '../../util/redact.js';
import type { CollectionInfo, IndexStat, MongoReader } from './reader.js';

/** Options of {@link openMongoReader}. */
export interface MongoReaderOptions {
  /** Database to analyse; default: the database in the URI. */
  database?: string;
  /** `maxTimeMS` put on every command (default 15 000). */
  maxTimeMillis?: number;
  /** How long to look for a usable server (default 10 000). */
  serverSelectionTimeoutMillis?: number;
  /** Extra driver options (tests pass `directConnection`, never credentials). */
  driverOptions?: MongoClientOptions;
}

/**
 * `mongodb://user:secret@h1,h2/db?x=y` → `mongodb://user@h1,h2/db`: the URI without its password or query
 * (the query can carry `tlsCertificateKeyFilePassword`). Works for multi-host URIs, which `URL` cannot parse.
 */
export function redactMongoUri(uri: string): string {
  const m = /^(mongodb(?:\+srv)?:\/\/)(?:([^:@/]*)(?::[^@/]*)?@)?([^/?]*)(\/[^?]*)?/.exec(uri);
  if (!m) return redactText(uri);
  const [, scheme, user, hosts, path] = m;
  return `${scheme}${user ? `${decodeURIComponent(user)}@` : ''}${hosts}${path ?? ''}`;
}

/** The database named in a MongoDB URI path, if any. */
export function uriDatabase(uri: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]*\/([^?]+)/.exec(uri);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

function wrap(what: string, error: unknown): QueryError {
  const e = error as { code?: number; codeName?: string; message?: string };
  const code = e.codeName ?? (e.code !== undefined ? String(e.code) : undefined);
  const hint =
    e.codeName === 'Unauthorized'
      ? ' (the user needs read on the database and clusterMonitor for $indexStats/$collStats)'
      : e.codeName === 'MaxTimeMSExpired'
        ? ' (raise --max-time or lower --sample-size)'
        : '';
  return new QueryError(
    `${what} failed: ${redactText(e.message ?? String(error))}${hint}`,
    code ? { code } : {},
    error,
  );
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object' && v !== null && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return undefined;
}

/**
 * {@link MongoReader} on the official driver. Read preference `secondaryPreferred` keeps the sampling off the
 * primary of a replica set; every command carries `maxTimeMS` (a `getMore` cannot: the server applies the
 * originating command's limit to the whole cursor); monitoring polls instead of streaming, which suits a
 * short-lived CLI.
 */
export class DriverMongoReader implements MongoReader {
  readonly database: string;
  readonly target: string;
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #maxTimeMS: number;

  private constructor(client: MongoClient, database: string, target: string, maxTimeMS: number) {
    this.#client = client;
    this.#db = client.db(database);
    this.database = database;
    this.target = target;
    this.#maxTimeMS = maxTimeMS;
  }

  /** Connects; a failure throws {@link ConnectionError} naming only the redacted URI. */
  static async open(uri: string, options: MongoReaderOptions = {}): Promise<DriverMongoReader> {
    const database = options.database ?? uriDatabase(uri);
    const target = redactMongoUri(uri);
    if (!database) throw new UsageError(`no database to analyse: pass --db NAME or put it in the URI (${target}/NAME)`);
    // Options in the URI win over dbsage's defaults (a user can shorten serverSelectionTimeoutMS there).
    const inUri = (name: string) => new RegExp(`[?&]${name}=`, 'i').test(uri);
    const selection = options.serverSelectionTimeoutMillis ?? 10_000;
    const client = new MongoClient(uri, {
      appName: 'dbsage',
      ...(inUri('readPreference') ? {} : { readPreference: 'secondaryPreferred' as const }),
      serverMonitoringMode: 'poll',
      ...(inUri('serverSelectionTimeoutMS') ? {} : { serverSelectionTimeoutMS: selection }),
      ...(inUri('connectTimeoutMS') ? {} : { connectTimeoutMS: selection }),
      maxPoolSize: 2,
      retryWrites: false,
      ...options.driverOptions,
    });
    try {
      await client.connect();
    } catch (error) {
      await client.close().catch(() => undefined);
      throw new ConnectionError(target, new Error(redactText((error as Error).message), { cause: error }));
    }
    return new DriverMongoReader(client, database, target, options.maxTimeMillis ?? 15_000);
  }

  async listCollections(): Promise<CollectionInfo[]> {
    try {
      const rows = await this.#db
        .listCollections({}, { nameOnly: false, authorizedCollections: true, maxTimeMS: this.#maxTimeMS })
        .toArray();
      return rows.map((r) => ({ name: r.name, type: (r as { type?: string }).type ?? 'collection' }));
    } catch (error) {
      throw wrap('listCollections', error);
    }
  }

  async sample(collection: string, size: number): Promise<MongoDocument[]> {
    try {
      return (await this.#db
        .collection(collection)
        .aggregate([{ $sample: { size } }], { maxTimeMS: this.#maxTimeMS, allowDiskUse: false })
        .toArray()) as MongoDocument[];
    } catch (error) {
      throw wrap(`$sample on ${collection}`, error);
    }
  }

  async listIndexes(collection: string): Promise<MongoIndex[]> {
    try {
      const rows = await this.#db.collection(collection).listIndexes({ maxTimeMS: this.#maxTimeMS }).toArray();
      return rows.map((r) => {
        const ix: MongoIndex = { name: String(r.name), key: r.key as Record<string, number | string> };
        if (r.unique) ix.unique = true;
        if (r.sparse) ix.sparse = true;
        if (r.hidden) ix.hidden = true;
        if (r.partialFilterExpression) ix.partialFilterExpression = r.partialFilterExpression;
        if (r.collation) ix.collation = r.collation as MongoIndex['collation'] & object;
        if (r.expireAfterSeconds !== undefined) ix.expireAfterSeconds = toNumber(r.expireAfterSeconds) ?? 0;
        return ix;
      });
    } catch (error) {
      throw wrap(`listIndexes on ${collection}`, error);
    }
  }

  async indexStats(collection: string): Promise<IndexStat[]> {
    try {
      const rows = await this.#db
        .collection(collection)
        .aggregate([{ $indexStats: {} }], { maxTimeMS: this.#maxTimeMS })
        .toArray();
      // One row per index per member (sharded: per shard); sum ops per index name.
      const byName = new Map<string, IndexStat>();
      for (const r of rows) {
        const accesses = (r.accesses ?? {}) as { ops?: unknown; since?: unknown };
        const name = String(r.name);
        const since = accesses.since instanceof Date ? accesses.since.toISOString() : undefined;
        const seen = byName.get(name);
        const ops = toNumber(accesses.ops) ?? 0;
        if (seen) seen.ops += ops;
        else byName.set(name, { name, ops, ...(since ? { since } : {}) });
      }
      return [...byName.values()];
    } catch (error) {
      throw wrap(`$indexStats on ${collection}`, error);
    }
  }

  async collStats(collection: string): Promise<MongoCollectionStats | undefined> {
    try {
      const rows = await this.#db
        .collection(collection)
        .aggregate([{ $collStats: { storageStats: {} } }], { maxTimeMS: this.#maxTimeMS })
        .toArray();
      if (rows.length === 0) return undefined;
      const sum = (k: string) =>
        rows.reduce((a, r) => a + (toNumber((r.storageStats as Record<string, unknown> | undefined)?.[k]) ?? 0), 0);
      const count = sum('count');
      const size = sum('size');
      return {
        count,
        size,
        avgObjSize: count > 0 ? Math.round(size / count) : 0,
        storageSize: sum('storageSize'),
        totalIndexSize: sum('totalIndexSize'),
        nindexes: toNumber((rows[0]!.storageStats as Record<string, unknown> | undefined)?.nindexes) ?? 0,
      };
    } catch (error) {
      throw wrap(`$collStats on ${collection}`, error);
    }
  }

  async profile(limit: number): Promise<MongoDocument[]> {
    try {
      return (await this.#db
        .collection('system.profile')
        .find({}, { sort: { ts: -1 }, limit, maxTimeMS: this.#maxTimeMS })
        .toArray()) as MongoDocument[];
    } catch (error) {
      throw wrap('reading system.profile', error);
    }
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}
