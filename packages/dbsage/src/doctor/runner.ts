import { type Capabilities, detectCapabilities } from '../engines/postgres/capabilities.js';
import type { PgClient } from '../engines/postgres/client.js';
import { InputError, UsageError } from '../errors.js';
import { createAnalyzerContext } from '../findings/context.js';
import { type Finding, sortFindings } from '../findings/finding.js';
import type { AnalyzerContext, AnalyzerOutcome } from '../findings/registry.js';
import { runAnalyzers } from '../findings/registry.js';
import { DOCTOR_CHECKS } from './all-checks.js';
import type { DoctorCheck, LimitingPrivilege } from './check.js';
import { type Snapshot, takeSnapshot } from './snapshot.js';
import { catalogVersion, rawDatabaseStats } from './sources.js';
import { attachDoctorState, type CatalogCache } from './state.js';

/** Inputs of a doctor run. */
export interface DoctorRunInput {
  client: PgClient;
  /** Per-check options by check id, e.g. `{ 'slow-queries': { minMeanMillis: 50 } }`. */
  options?: Record<string, Record<string, unknown>>;
  /** Run only these checks (ids). */
  only?: readonly string[];
  /** Leave these checks out (ids). */
  skip?: readonly string[];
  /** A `--snapshot` file's content: counter-based checks then report the window since it. */
  since?: Snapshot;
  /** Overrides every check's own time limit (ms). */
  checkTimeoutMillis?: number;
  /** Also read a snapshot of the counters at the end of the run (for `--snapshot FILE`). */
  takeSnapshot?: boolean;
  capabilities?: Capabilities;
  signal?: AbortSignal;
  log?: (message: string) => void;
  /**
   * Catalog-derived values kept from earlier runs (a {@link DoctorSession} passes its own): used only while the
   * catalog version read at the start of this run is the one they were read under.
   */
  catalogCache?: CatalogCache;
  /**
   * Which selected checks this run executes, told whether the catalog changed since the previous run of the
   * session (always true without a `catalogCache`). A {@link DoctorSession} passes its cadence here; the others'
   * outcomes are missing from the result. Default: all.
   */
  isDue?: (check: DoctorCheck, catalogChanged: boolean) => boolean;
}

/** What a doctor run returns. */
export interface DoctorRunResult {
  findings: Finding[];
  outcomes: AnalyzerOutcome[];
  /** Capability limits (which checks were limited, which grant enables them) and window notes. */
  notes: string[];
  capabilities: Capabilities;
  snapshot?: Snapshot;
}

/** Privileges the current role lacks, with the grant that gives them. */
export interface MissingPrivilege {
  privilege: LimitingPrivilege;
  grant: string;
}

/** Selects checks by `only`/`skip`, rejecting unknown ids (a typo must not silently skip a check). */
export function selectChecks(only?: readonly string[], skip?: readonly string[]): DoctorCheck[] {
  const known = new Set(DOCTOR_CHECKS.map((c) => c.id));
  for (const id of [...(only ?? []), ...(skip ?? [])]) {
    if (!known.has(id)) throw new UsageError(`unknown check "${id}" (see dbsage doctor --list)`);
  }
  return DOCTOR_CHECKS.filter((c) => (!only || only.length === 0 || only.includes(c.id)) && !skip?.includes(c.id));
}

/** Validates per-check options up front, so a typo is a usage error before anything runs. */
export function validateOptions(options: Record<string, Record<string, unknown>> | undefined): void {
  for (const [id, value] of Object.entries(options ?? {})) {
    const check = DOCTOR_CHECKS.find((c) => c.id === id);
    if (!check) throw new UsageError(`options given for unknown check "${id}"`);
    check.resolveOptions(value);
  }
}

/** Which limiting privileges the role lacks (superuser has all). */
export async function missingPrivileges(client: PgClient, caps: Capabilities): Promise<MissingPrivilege[]> {
  if (caps.isSuperuser) return [];
  const user = caps.currentUser;
  const out: MissingPrivilege[] = [];
  if (!caps.canReadAllStats) {
    out.push({
      privilege: 'read_all_stats',
      grant: `GRANT pg_read_all_stats TO ${user};  -- or GRANT pg_monitor TO ${user};`,
    });
  }
  const scan = (
    await client.query<{ ok: boolean }>("SELECT pg_has_role(current_user, 'pg_stat_scan_tables', 'USAGE') AS ok")
  ).rows[0]?.ok;
  if (!scan) {
    out.push({
      privilege: 'stat_scan_tables',
      grant: `GRANT pg_stat_scan_tables TO ${user};  -- or GRANT pg_monitor TO ${user};`,
    });
  }
  out.push({
    privilege: 'superuser',
    grant: "a superuser (or the table owner) sees every table's pg_stats and sequence",
  });
  return out;
}

/** Report notes naming each limited check, what it loses, and the grant that restores it. */
export function limitationNotes(checks: readonly DoctorCheck[], missing: readonly MissingPrivilege[]): string[] {
  const notes: string[] = [];
  for (const m of missing) {
    const limited = checks.flatMap((c) =>
      c.limitations.filter((l) => l.without === m.privilege).map((l) => `${c.id} (${l.effect})`),
    );
    if (limited.length === 0) continue;
    const who =
      m.privilege === 'read_all_stats'
        ? 'pg_read_all_stats / pg_monitor'
        : m.privilege === 'stat_scan_tables'
          ? 'pg_stat_scan_tables / pg_monitor'
          : 'superuser';
    notes.push(`Limited without ${who}: ${limited.join('; ')}. To enable: ${m.grant}`);
  }
  return notes;
}

/**
 * Runs the doctor: detects capabilities, validates options, runs each selected check under its own time limit
 * (a slow or failing check is "unknown" with its reason, never a failed run) and collects findings and notes.
 * Read-only: every query runs in a READ ONLY transaction and nothing is reset.
 */
export async function runDoctor(input: DoctorRunInput): Promise<DoctorRunResult> {
  const checks = selectChecks(input.only, input.skip);
  validateOptions(input.options);
  const capabilities = input.capabilities ?? (await input.client.transaction((tx) => detectCapabilities(tx)));
  const ctx: AnalyzerContext = createAnalyzerContext({
    client: input.client,
    capabilities,
    options: input.options ?? {},
    ...(input.signal ? { signal: input.signal } : {}),
    ...(input.log ? { log: input.log } : {}),
  });
  let cache: CatalogCache | undefined;
  let catalogChanged = true;
  if (input.catalogCache) {
    try {
      const reloads = input.catalogCache.reloads;
      input.catalogCache.setVersion(await catalogVersion(ctx));
      cache = input.catalogCache;
      catalogChanged = cache.reloads !== reloads;
    } catch {
      // Without a version nothing cached can be trusted: this run reads the catalog itself.
      cache = undefined;
    }
  }
  const due = input.isDue ? checks.filter((c) => input.isDue!(c, catalogChanged)) : checks;
  const state = attachDoctorState(ctx, input.since, cache);
  // Only the checks that run now decide which tables are read.
  state.tableNeeds = new Map(due.flatMap((c) => (c.tableNeed ? [[c.id, c.tableNeed(ctx.options[c.id])]] : [])));
  if (input.since) {
    const current = await rawDatabaseStats(ctx);
    if (input.since.databaseName !== current.database) {
      throw new InputError(`the --since snapshot is of database ${input.since.databaseName}, not ${current.database}`);
    }
  }
  const analyzers =
    input.checkTimeoutMillis === undefined
      ? due
      : due.map((c) => ({ ...c, timeoutMillis: input.checkTimeoutMillis, run: c.run }));
  const outcomes = await runAnalyzers(analyzers, ctx);
  const findings = sortFindings(outcomes.flatMap((o) => o.findings));
  const missing = await missingPrivileges(input.client, capabilities).catch(() => []);
  const notes = [...limitationNotes(checks, missing), ...state.notes];
  if (input.since) notes.unshift(`Counters are for the window since the snapshot taken at ${input.since.takenAt}.`);
  const snapshot = input.takeSnapshot ? await takeSnapshot(ctx) : undefined;
  return { findings, outcomes, notes, capabilities, ...(snapshot ? { snapshot } : {}) };
}
