import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { PgClient } from '../engines/postgres/client.js';
import { UsageError } from '../errors.js';
import { type Finding, isSeverity, SEVERITIES, type Severity, severityRank } from '../findings/finding.js';
import { FORMATS, type Format, isFormat, type Report, render } from '../report/render.js';
import type { CliIO } from './io.js';

/** Flags every reporting command shares (CONVENTIONS §4). */
export interface OutputFlags {
  format?: string;
  output?: string;
  failOn?: string;
  quiet?: boolean;
  debug?: boolean;
}

/** Flags of commands that take a database target. */
export interface TargetFlags {
  embedded?: string | boolean;
  statementTimeout?: string;
  lockTimeout?: string;
}

/** Adds `--format`, `--output`, `--fail-on`, `--quiet`, `--debug`. */
export function addOutputOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'report format').choices([...FORMATS]).default('tty'))
    .option('--output <file>', 'write the report to a file instead of stdout')
    .addOption(
      new Option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity').choices([...SEVERITIES]),
    )
    .option('--quiet', 'no progress output on stderr')
    .option('--debug', 'show stack traces and debug output');
}

/** Adds `--embedded [dir]`, `--statement-timeout <ms>`, `--lock-timeout <ms>`. */
export function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--embedded [dir]', 'use embedded PostgreSQL (PGlite), in memory or in DIR')
    .option('--statement-timeout <ms>', 'statement_timeout for each analysis query (default 15000)')
    .option('--lock-timeout <ms>', 'lock_timeout for each analysis query (default 1000)');
}

function parseMillis(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a number of milliseconds, got "${value}"`);
  return n;
}

/**
 * Opens the client for `[target]` + flags (URL, --embedded, DATABASE_URL or PG* env), runs `fn`, always closes.
 */
export async function withClient<T>(
  targetArg: string | undefined,
  flags: TargetFlags,
  fn: (client: PgClient) => Promise<T>,
): Promise<T> {
  const statementTimeoutMillis = parseMillis(flags.statementTimeout, '--statement-timeout');
  const lockTimeoutMillis = parseMillis(flags.lockTimeout, '--lock-timeout');
  // Loaded on demand: commands that never connect (lint without --db, parse, mongo offline) stay fast to start.
  const { openClient, resolveTarget } = await import('../engines/postgres/connect.js');
  const client = await openClient(resolveTarget(targetArg, flags.embedded), {
    ...(statementTimeoutMillis === undefined ? {} : { statementTimeoutMillis }),
    ...(lockTimeoutMillis === undefined ? {} : { lockTimeoutMillis }),
  });
  try {
    return await fn(client);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** The exit code for a set of findings under `--fail-on`: 1 when any is at or above it, else 0. */
export function exitCodeFor(findings: readonly Finding[], failOn: Severity | undefined): number {
  if (!failOn) return 0;
  const threshold = severityRank(failOn);
  return findings.some((f) => severityRank(f.severity) >= threshold) ? 1 : 0;
}

/** Renders a report per the output flags, writes it to stdout or `--output`, and returns the exit code. */
export function emitReport(report: Report, flags: OutputFlags, io: CliIO): number {
  const format: Format = isFormat(flags.format) ? flags.format : 'tty';
  const text = render(report, format, { color: format === 'tty' && io.color && !flags.output });
  if (flags.output) {
    writeFileSync(resolve(io.cwd, flags.output), text);
    if (!flags.quiet) io.stderr(`report written to ${flags.output}\n`);
  } else {
    io.stdout(text);
  }
  if (flags.failOn !== undefined && !isSeverity(flags.failOn)) throw new UsageError(`--fail-on: unknown severity`);
  return exitCodeFor(report.findings, flags.failOn as Severity | undefined);
}
