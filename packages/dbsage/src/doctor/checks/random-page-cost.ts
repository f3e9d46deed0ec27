import { defineCheck } from '../check.js';
import { makeFinding } from '../make-finding.js';
import { settings } from '../sources.js';

/**
 * `random-page-cost`: random_page_cost left at 4, a value modelled on spinning disks. On SSD or cloud block
 * storage random reads cost about as much as sequential ones, and 4 makes the planner prefer sequential scans
 * over index scans too often. The server cannot tell what storage it is on, so the `storage` option says it;
 * without it the finding is informational.
 */
export const randomPageCost = defineCheck({
  id: 'random-page-cost',
  category: 'config',
  watchRefresh: 'estimates',
  description: 'random_page_cost at the spinning-disk default on SSD storage',
  options: {
    storage: {
      type: 'choice',
      default: 'unknown',
      choices: ['unknown', 'ssd', 'hdd'],
      description: 'what the data directory is on (the server cannot tell)',
    },
    maxSsdValue: { type: 'number', default: 2, min: 0, description: 'random_page_cost above this is reported on SSD' },
  },
  async run(ctx, o) {
    const s = await settings(ctx);
    const rpc = s.get('random_page_cost');
    if (!rpc || o.storage === 'hdd') return [];
    const value = Number(rpc.setting);
    if (!(value > o.maxSsdValue)) return [];
    return [
      makeFinding({
        ruleId: 'random-page-cost',
        category: 'config',
        severity: o.storage === 'ssd' ? 'low' : 'info',
        title: `random_page_cost is ${value}${o.storage === 'ssd' ? ' on SSD storage' : ' (tuned for spinning disks)'}`,
        summary:
          'random_page_cost = 4 tells the planner a random read costs four sequential ones, true of spinning disks but not of SSDs or cloud volumes, so it under-uses indexes. 1.1 is the usual value for SSD.',
        evidence: {
          random_page_cost: value,
          seq_page_cost: Number(s.get('seq_page_cost')?.setting ?? 1),
          effective_io_concurrency: Number(s.get('effective_io_concurrency')?.setting ?? 1),
          source: rpc.source,
          storage: o.storage,
        },
        remediation: {
          sql: 'ALTER SYSTEM SET random_page_cost = 1.1;\nSELECT pg_reload_conf();',
          steps: ['Only on SSD/NVMe or cloud block storage; pass --storage to dbsage doctor to state it.'],
        },
        object: 'cluster',
        identity: ['cluster'],
      }),
    ];
  },
});
