import { readdirSync } from 'node:fs';
import type { Analyzer } from './registry.js';

/**
 * Loads every analyzer set: each capability (doctor, lint, index advisor, query analysis, …) contributes one
 * module under `src/analyzers/` exporting `analyzers: Analyzer[]`. Discovery keeps the runner, the demo and the
 * CLI free of per-capability wiring.
 */
export async function discoverAnalyzers(): Promise<Analyzer[]> {
  const dir = new URL('../analyzers/', import.meta.url);
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch {
    return [];
  }
  const out: Analyzer[] = [];
  const seen = new Set<string>();
  for (const file of files.filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !/\.test\./.test(f)).sort()) {
    const mod = (await import(new URL(file, dir).href)) as { analyzers?: Analyzer[] };
    for (const a of mod.analyzers ?? []) {
      if (seen.has(a.id)) throw new Error(`analyzer ${a.id} is defined twice`);
      seen.add(a.id);
      out.push(a);
    }
  }
  return out;
}
