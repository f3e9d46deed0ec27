import { readdirSync, statSync } from 'node:fs';
import { relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import type { Preset } from './presets.js';

/**
 * Collects migration files in the order they run: explicit files in the order given, directory contents
 * sorted the way the tool sorts them (natural order, or Flyway versions).
 */

/** Converts a glob (`**`, `*`, `?`) into a regular expression over `/`-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

let naturalOrder: Intl.Collator | undefined;
/** Natural order of file names (created on first use: building an ICU collator is slow at start-up). */
function collator(): Intl.Collator {
  naturalOrder ??= new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
  return naturalOrder;
}

/** Flyway order: versioned `V1_2__x` by numeric version parts, then repeatable `R__` files by name. */
function flywayKey(path: string): [number, number[], string] {
  const base = path.split('/').pop() ?? path;
  const v = /^V([\d._]+)__/i.exec(base);
  if (v) return [0, v[1]!.split(/[._]/).filter(Boolean).map(Number), base];
  return [1, [], base];
}

function compareFlyway(a: string, b: string): number {
  const [ka, va, na] = flywayKey(a);
  const [kb, vb, nb] = flywayKey(b);
  if (ka !== kb) return ka - kb;
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const d = (va[i] ?? 0) - (vb[i] ?? 0);
    if (d !== 0) return d;
  }
  return collator().compare(na, nb);
}

/** The files to lint, absolute, in run order, with their display paths (relative to `cwd`). */
export function collectFiles(
  inputs: readonly string[],
  options: { cwd: string; preset: Preset; ignore: readonly string[] },
): { path: string; display: string }[] {
  const ignore = options.ignore.map(globToRegExp);
  const display = (abs: string) => relative(options.cwd, abs).split(sep).join('/') || abs;
  const ignored = (abs: string) => ignore.some((re) => re.test(display(abs)));
  const out: { path: string; display: string }[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    const abs = resolve(options.cwd, input);
    let stat: ReturnType<typeof statSync>;
    try {
      stat = statSync(abs);
    } catch (error) {
      throw new InputError(`cannot read ${input}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, {
        cause: error,
      });
    }
    const files = stat.isDirectory() ? walk(abs).filter((f) => options.preset.include.test(display(f))) : [abs];
    const sorted = stat.isDirectory()
      ? files.sort((a, b) =>
          options.preset.order === 'flyway'
            ? compareFlyway(display(a), display(b))
            : collator().compare(display(a), display(b)),
        )
      : files;
    for (const f of sorted) {
      if (seen.has(f) || ignored(f)) continue;
      seen.add(f);
      out.push({ path: f, display: display(f) });
    }
  }
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = resolve(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}
