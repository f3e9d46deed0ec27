import { quoteLiteral } from '../../engines/postgres/quote.js';
import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { climb } from '../severity.js';
import { settings } from '../sources.js';
import { query } from '../state.js';
import { formatBytes, round, settingBytes } from '../units.js';

/**
 * `inactive-replication-slot`: replication slots with no consumer connected. A slot makes the primary keep all
 * WAL from its restart position (until max_slot_wal_keep_size, when set), so an abandoned slot fills the disk;
 * a logical slot also holds the catalog xmin. Severity climbs with the retained WAL as a multiple of max_wal_size.
 */
export const inactiveReplicationSlot = defineCheck({
  id: 'inactive-replication-slot',
  category: 'health',
  description: 'Inactive replication slots and the WAL they retain',
  options: {
    minRetainedBytes: {
      type: 'number',
      default: 0,
      min: 0,
      description: 'retained WAL below which an inactive slot is ignored',
    },
    mediumWalSizeFactor: {
      type: 'number',
      default: 1,
      min: 0,
      description: 'retained WAL as a multiple of max_wal_size from which severity is medium',
    },
    highWalSizeFactor: {
      type: 'number',
      default: 10,
      min: 0,
      description: 'multiple of max_wal_size from which severity is high',
    },
  },
  async run(ctx, o) {
    const s = await settings(ctx);
    const mws = s.get('max_wal_size');
    const maxWalBytes = settingBytes(mws?.setting, mws?.unit) ?? 1024 ** 3;
    const recovery = (await query<{ r: boolean }>(ctx, 'SELECT pg_is_in_recovery() AS r'))[0]?.r ?? false;
    const current = recovery ? 'pg_last_wal_receive_lsn()' : 'pg_current_wal_lsn()';
    const rows = await query<Record<string, unknown>>(
      ctx,
      `SELECT slot_name::text AS name, slot_type, plugin::text AS plugin, database::text AS database, temporary,
              wal_status, safe_wal_size::float8 AS safe_wal_size,
              pg_wal_lsn_diff(${current}, restart_lsn)::float8 AS retained_bytes,
              age(xmin)::int8 AS xmin_age, age(catalog_xmin)::int8 AS catalog_xmin_age
         FROM pg_replication_slots WHERE NOT active`,
    );
    return rows
      .filter((r) => Number(r.retained_bytes ?? 0) >= o.minRetainedBytes)
      .map((r) => {
        const name = String(r.name);
        const retained = r.retained_bytes === null ? 0 : Number(r.retained_bytes);
        const walStatus = r.wal_status === null ? null : String(r.wal_status);
        let severity =
          climb(retained, {
            low: 0,
            medium: maxWalBytes * o.mediumWalSizeFactor,
            high: maxWalBytes * o.highWalSizeFactor,
          }) ?? 'low';
        if (walStatus === 'lost') severity = 'medium';
        return makeFinding({
          ruleId: 'inactive-replication-slot',
          category: 'health',
          severity,
          title: `Replication slot ${name} is inactive and retains ${formatBytes(retained)} of WAL${walStatus === 'lost' ? ' (WAL already lost: the slot is unusable)' : ''}`,
          summary:
            'No consumer is connected to this slot, but the server keeps every WAL segment since its position (and, for logical slots, old catalog rows). Left alone it fills the WAL disk; drop it if its consumer is gone.',
          evidence: {
            slot: name,
            type: r.slot_type,
            plugin: r.plugin,
            database: r.database,
            retainedBytes: retained,
            retainedAsMaxWalSizeMultiple: round(retained / maxWalBytes, 2),
            walStatus,
            safeWalSizeBytes: r.safe_wal_size,
            xminAge: r.xmin_age,
            catalogXminAge: r.catalog_xmin_age,
            maxSlotWalKeepSize: s.get('max_slot_wal_keep_size')?.setting ?? null,
          },
          remediation: {
            sql: `SELECT pg_drop_replication_slot(${quoteLiteral(name)});`,
            steps: [
              'Only if the consumer (standby, CDC connector) is gone for good: a dropped slot cannot be resumed.',
              'Set max_slot_wal_keep_size so one abandoned slot cannot fill the disk.',
            ],
          },
          object: `replication slot ${name}`,
          identity: [name],
        });
      });
  },
});
