import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { isSeverity, type Severity } from '../findings/finding.js';
import { isPresetId, isTransactionMode, type PresetId, type TransactionMode } from './presets.js';
import { isProfile, type Profile } from './rule.js';

/**
 * `dbsage.config.json`, section `lint`: rules on/off or re-levelled, profiles, target PostgreSQL version,
 * ignored paths, migration tool preset. Validated once here; a bad value is an input error (exit 2) that names
 * the key, never a silent default.
 */
export interface LintConfig {
  /** Profiles to run (default: safety + design + style). */
  profiles?: Profile[];
  /** `off`, or a severity that replaces the rule's default. */
  rules: Record<string, 'off' | Severity>;
  /** Major version the migrations target when there is no `--db` (default 17). */
  pgVersion?: number;
  /** Globs (relative to the config file) of files not to lint. */
  ignore: string[];
  preset?: PresetId;
  /** Overrides the preset's transaction mode. */
  transaction?: TransactionMode;
  /** Table size (bytes) under which lock findings drop to `low`, and from which they rise one level. */
  smallTableBytes?: number;
  largeTableBytes?: number;
}

/** The config file name looked for in the working directory. */
export const CONFIG_FILE = 'dbsage.config.json';

const KEYS = new Set([
  'profile',
  'profiles',
  'rules',
  'pgVersion',
  'ignore',
  'preset',
  'transaction',
  'smallTableBytes',
  'largeTableBytes',
]);

/** Parses and validates a config object (the `lint` section, or the whole object when it has none). */
export function parseLintConfig(raw: unknown, source = CONFIG_FILE): LintConfig {
  const fail = (msg: string): never => {
    throw new InputError(`${source}: ${msg}`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('expected a JSON object');
  const section = ('lint' in raw ? (raw as { lint: unknown }).lint : raw) as Record<string, unknown>;
  if (typeof section !== 'object' || section === null) return fail('"lint" must be an object');
  const config: LintConfig = { rules: {}, ignore: [] };
  for (const [key, value] of Object.entries(section)) {
    if (!KEYS.has(key)) fail(`unknown key "lint.${key}" (known: ${[...KEYS].join(', ')})`);
    switch (key) {
      case 'profile':
      case 'profiles': {
        const list = value === 'all' ? ['safety', 'design', 'style'] : Array.isArray(value) ? value : [value];
        if (!list.every(isProfile)) fail(`"${key}" takes safety, design, style or all`);
        config.profiles = list as Profile[];
        break;
      }
      case 'rules':
        if (typeof value !== 'object' || value === null) fail('"rules" must map rule ids to "off" or a severity');
        for (const [id, v] of Object.entries(value as Record<string, unknown>)) {
          const level = v === false ? 'off' : v === true ? undefined : v;
          if (level === undefined) continue;
          if (level !== 'off' && !isSeverity(level))
            fail(`rules.${id}: expected "off" or a severity, got ${JSON.stringify(v)}`);
          config.rules[id] = level as 'off' | Severity;
        }
        break;
      case 'pgVersion': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 9 || n > 40) fail('"pgVersion" takes a major version such as 15');
        config.pgVersion = n;
        break;
      }
      case 'ignore':
        if (!Array.isArray(value) || !value.every((g) => typeof g === 'string'))
          fail('"ignore" takes an array of globs');
        config.ignore = value as string[];
        break;
      case 'preset':
        if (!isPresetId(value)) fail(`unknown preset ${JSON.stringify(value)}`);
        config.preset = value as PresetId;
        break;
      case 'transaction':
        if (!isTransactionMode(value)) fail(`"transaction" takes none, per-file, per-file-if-multiple or whole-run`);
        config.transaction = value as TransactionMode;
        break;
      case 'smallTableBytes':
      case 'largeTableBytes':
        if (typeof value !== 'number' || value < 0) fail(`"${key}" takes a number of bytes`);
        config[key] = value as number;
        break;
    }
  }
  return config;
}

/** Loads `path` (or `dbsage.config.json` in `cwd` when it exists); an empty config when there is none. */
export function loadLintConfig(cwd: string, path?: string): LintConfig {
  const file = resolve(cwd, path ?? CONFIG_FILE);
  if (!existsSync(file)) {
    if (path) throw new InputError(`config file ${path} not found`);
    return { rules: {}, ignore: [] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`${path ?? CONFIG_FILE} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseLintConfig(raw, path ?? CONFIG_FILE);
}
