import pg from 'pg';
import { type DoctorRunResult, runDoctor } from '../../../src/doctor/runner.js';
import type { PgClient } from '../../../src/engines/postgres/client.js';
import type { Finding } from '../../../src/findings/finding.js';

/** Runs the given checks with options and returns the whole result. */
export async function doctor(
  client: PgClient,
  only: string[],
  options: Record<string, Record<string, unknown>> = {},
): Promise<DoctorRunResult> {
  const result = await runDoctor({ client, only, options });
  for (const o of result.outcomes) {
    if (o.status !== 'ok') throw new Error(`check ${o.analyzerId} did not run: ${o.status} ${o.reason ?? ''}`);
  }
  return result;
}

/** Findings of one check about one object (`location.object` contains `needle`). */
export function about(findings: readonly Finding[], ruleId: string, needle: string): Finding[] {
  return findings.filter(
    (f) => f.ruleId === ruleId && JSON.stringify([f.location, f.evidence, f.title]).includes(needle),
  );
}

/** Opens an extra session (a second application, for blocked/idle/long-running conditions). */
export async function session(url: string, applicationName: string): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  await c.connect();
  c.on('error', () => undefined);
  return c;
}

/** Waits until `fn` returns true (polling), or fails after `timeoutMillis`. */
export async function until(fn: () => Promise<boolean>, timeoutMillis = 10_000): Promise<void> {
  const end = Date.now() + timeoutMillis;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached in time');
}

/** Sleeps. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
