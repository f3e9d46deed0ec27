import { Document, isMap, isSeq, visit } from 'yaml';
import { readCatalog } from '../../catalog/introspect.js';
import type { PgClient } from '../../engines/postgres/client.js';
import { CapabilityError, InputError } from '../../errors.js';
import { readPgStatStatements } from '../../workload/pg-stat-statements.js';
import type { Workload } from '../../workload/types.js';
import { type CatalogModel, type CatalogModelOptions, modelFromCatalog } from './catalog-to-model.js';

/** The result of `design --from`: the model, its YAML text and notes on what changed or was left out. */
export interface IntrospectedModel extends CatalogModel {
  yaml: string;
}

/**
 * Reads a live database (read-only: the catalog in one read-only transaction, pg_stat_statements when it is
 * available) into a model file.
 */
export async function introspectModel(
  client: PgClient,
  options: Omit<CatalogModelOptions, 'workload' | 'extensions' | 'statsSeconds'> = {},
): Promise<IntrospectedModel> {
  const catalog = await client.transaction((tx) => readCatalog(tx, { stats: false }));
  const schema = options.schema ?? 'public';
  if (!catalog.tables.some((t) => t.schema === schema && (t.kind === 'table' || t.kind === 'partitioned'))) {
    throw new InputError(
      `design --from: database ${catalog.database} has no tables in schema ${schema}: nothing to model`,
    );
  }
  const extensions = (
    await client.query<{ extname: string }>(
      "SELECT extname FROM pg_extension WHERE extname <> 'plpgsql' ORDER BY extname",
    )
  ).rows.map((r) => r.extname);
  let workload: Workload | undefined;
  const notes: string[] = [];
  try {
    workload = await readPgStatStatements(client);
  } catch (error) {
    if (!(error instanceof CapabilityError)) throw error;
    notes.push(`no access patterns: ${error.message}`);
  }
  const since = catalog.statsReset ? Date.parse(catalog.statsReset) : Number.NaN;
  const statsSeconds = Number.isFinite(since) ? Math.max(1, (Date.parse(catalog.readAt) - since) / 1000) : undefined;
  const result = modelFromCatalog(catalog, {
    ...options,
    extensions: extensions.filter((e) => e !== 'pg_stat_statements'),
    ...(workload ? { workload } : {}),
    ...(statsSeconds ? { statsSeconds } : {}),
  });
  return { ...result, notes: [...notes, ...result.notes], yaml: modelYaml(result) };
}

/**
 * Writes a model as YAML the way a person would: fields, keys, sort keys and small lists in flow style on one
 * line, everything else in block style, with the notes as a header comment.
 */
export function modelYaml(result: CatalogModel): string {
  const doc = new Document(result.model);
  const flow = (path: (string | number)[]) => {
    const node = doc.getIn(path, true);
    if (isMap(node) || isSeq(node)) node.flow = true;
  };
  const m = result.model;
  for (const [name, e] of Object.entries(m.entities)) {
    const base = ['entities', name];
    for (const f of Object.keys(e.fields ?? {})) flow([...base, 'fields', f]);
    for (const k of ['key', 'volume']) flow([...base, k]);
    for (let i = 0; i < (e.unique ?? []).length; i++) flow([...base, 'unique', i]);
    (e.indexes ?? []).forEach((ix, i) => {
      flow([...base, 'indexes', i, 'keys']);
      for (let j = 0; j < ix.keys.length; j++) flow([...base, 'indexes', i, 'keys', j]);
      flow([...base, 'indexes', i, 'include']);
    });
  }
  (m.relationships ?? []).forEach((r, i) => {
    if (!r.fields || Object.keys(r.fields).length === 0) flow(['relationships', i]);
    for (const k of ['onDelete', 'cardinality', 'columns']) flow(['relationships', i, k]);
    for (const f of Object.keys(r.fields ?? {})) flow(['relationships', i, 'fields', f]);
  });
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => !isMap(i) && !isSeq(i))) node.flow = true;
    },
  });
  const header = [
    ' Written by dbsage design --from. Review it, then regenerate with: dbsage design <this file>',
    ' settings.deriveIndexes is false so the regenerated schema equals the database; set it to true to see the',
    ' indexes design would add (foreign-key covering, access patterns).',
    ...result.notes.map((n) => ` note: ${n}`),
  ];
  doc.commentBefore = header.join('\n');
  return doc.toString({ lineWidth: 120, flowCollectionPadding: false });
}
