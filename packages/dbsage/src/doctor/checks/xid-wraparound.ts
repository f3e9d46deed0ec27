import { defineCheck } from '../check.js';
import { WRAPAROUND_OPTIONS, wraparoundFindings } from '../wraparound.js';

/**
 * `xid-wraparound`: transaction ID age per database and per table, against 2³¹ and autovacuum_freeze_max_age.
 */
export const xidWraparound = defineCheck({
  id: 'xid-wraparound',
  category: 'health',
  watchRefresh: 'counters',
  description: 'Transaction ID age per database and table, against 2^31 and autovacuum_freeze_max_age',
  options: WRAPAROUND_OPTIONS,
  run: (ctx, o) => wraparoundFindings(ctx, 'xid', o),
});
