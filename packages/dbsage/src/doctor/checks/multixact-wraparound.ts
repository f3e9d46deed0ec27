import { defineCheck } from '../check.js';
import { WRAPAROUND_OPTIONS, wraparoundFindings } from '../wraparound.js';

/**
 * `multixact-wraparound`: MultiXact ID age per database and per table, against 2³¹ and
 * autovacuum_multixact_freeze_max_age. Multixacts come from row locks shared by several transactions (FOR SHARE,
 * foreign key checks), so FK-heavy workloads can burn them faster than transaction ids.
 */
export const multixactWraparound = defineCheck({
  id: 'multixact-wraparound',
  category: 'health',
  watchRefresh: 'counters',
  description: 'MultiXact ID age per database and table, against 2^31 and autovacuum_multixact_freeze_max_age',
  options: WRAPAROUND_OPTIONS,
  run: (ctx, o) => wraparoundFindings(ctx, 'multixact', o),
});
