import { readCatalog } from '../catalog/introspect.js';
import type { Catalog } from '../catalog/types.js';
import type { Capabilities } from '../engines/postgres/capabilities.js';
import type { PgClient } from '../engines/postgres/client.js';
import { EMPTY_WORKLOAD, type Workload } from '../workload/types.js';
import type { AnalyzerContext } from './registry.js';

/** Inputs of an analysis run. */
export interface AnalyzerContextInput {
  client?: PgClient;
  capabilities?: Capabilities;
  /** Loads the workload on first use (pg_stat_statements, a file, a log); empty when absent. */
  loadWorkload?: () => Promise<Workload>;
  /** Per-analyzer options by analyzer id. */
  options?: Record<string, unknown>;
  signal?: AbortSignal;
  log?: (message: string) => void;
  /** A catalog already read (tests, demo): skips introspection. */
  catalog?: Catalog;
}

/** Builds a context whose catalog and workload are read once, on first use. */
export function createAnalyzerContext(input: AnalyzerContextInput): AnalyzerContext {
  let catalog: Promise<Catalog> | undefined = input.catalog ? Promise.resolve(input.catalog) : undefined;
  let workload: Promise<Workload> | undefined;
  return {
    ...(input.client ? { client: input.client } : {}),
    ...(input.capabilities ? { capabilities: input.capabilities } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
    options: Object.freeze({ ...(input.options ?? {}) }),
    log: input.log ?? (() => undefined),
    catalog() {
      if (!catalog) {
        const client = input.client;
        if (!client) return Promise.reject(new Error('no database connection: the catalog is unavailable'));
        catalog = client.transaction((tx) => readCatalog(tx), { statementTimeoutMillis: 60_000 });
      }
      return catalog;
    },
    workload() {
      workload ??= input.loadWorkload ? input.loadWorkload() : Promise.resolve(EMPTY_WORKLOAD);
      return workload;
    },
  };
}
