import { InputError } from '../../errors.js';
import type { Plan, PlanBuffers, PlanNode } from './plan-node.js';

/**
 * Parses EXPLAIN's text format (what people paste from psql or a log's auto_explain) into the same model as the
 * JSON format, so saved text plans get the same insights. psql decorations (the `QUERY PLAN` header, the dashes,
 * `(N rows)`, trailing `+`) are ignored.
 */

const NODE_LINE =
  /^(?<indent>\s*)(?:->\s+)?(?<name>[A-Za-z].*?)\s+\(cost=(?<sc>[\d.]+)\.\.(?<tc>[\d.]+) rows=(?<rows>[\d.]+) width=(?<width>\d+)\)(?:\s+\((?:actual (?:time=(?<ast>[\d.]+)\.\.(?<att>[\d.]+) )?rows=(?<ar>[\d.]+) loops=(?<loops>\d+)|(?<never>never executed))\))?\s*$/;

const JOIN_TYPES = ['Left', 'Right', 'Full', 'Semi', 'Anti', 'Right Semi', 'Right Anti'];

/** Splits a text node name into the JSON model's fields. */
function nameParts(name: string): Partial<PlanNode> & { nodeType: string } {
  let rest = name.trim();
  const out: Partial<PlanNode> & { nodeType: string } = { nodeType: rest };
  if (rest.startsWith('Parallel ')) {
    out.parallelAware = true;
    rest = rest.slice('Parallel '.length);
  }
  rest = rest.replace(/^(Partial|Finalize) /, '');
  const on = / on (?<rel>\S+)(?: (?<alias>\S+))?$/.exec(rest);
  if (on?.groups) {
    const rel = on.groups.rel!;
    const dot = rel.lastIndexOf('.');
    out.relationName = dot >= 0 ? rel.slice(dot + 1) : rel;
    out.schema = dot >= 0 ? rel.slice(0, dot) : null;
    out.alias = on.groups.alias ?? out.relationName;
    rest = rest.slice(0, on.index);
  }
  const using = / using (?<idx>\S+)$/.exec(rest);
  if (using?.groups) {
    out.indexName = using.groups.idx!;
    rest = rest.slice(0, using.index);
  }
  if (rest === 'Bitmap Index Scan' && out.relationName) {
    // "Bitmap Index Scan on idx" names the index, not a table.
    out.indexName = out.relationName;
    out.relationName = null;
    out.alias = null;
  }
  const agg = /^(Hash|Group|Mixed)?Aggregate$/.exec(rest);
  if (agg) {
    out.strategy =
      agg[1] === 'Hash' ? 'Hashed' : agg[1] === 'Group' ? 'Sorted' : agg[1] === 'Mixed' ? 'Mixed' : 'Plain';
    rest = 'Aggregate';
  }
  for (const base of ['Nested Loop', 'Hash Join', 'Merge Join']) {
    for (const jt of JOIN_TYPES) {
      const prefix = base === 'Nested Loop' ? `${base} ${jt} Join` : `${base.split(' ')[0]} ${jt} Join`;
      if (rest === prefix) {
        out.joinType = jt;
        rest = base;
      }
    }
    if (rest === base) out.joinType ??= 'Inner';
  }
  out.nodeType = rest;
  return out;
}

function emptyNode(id: number): PlanNode {
  return {
    id,
    nodeType: '?',
    parentRelationship: null,
    subplanName: null,
    relationName: null,
    schema: null,
    alias: null,
    indexName: null,
    joinType: null,
    strategy: null,
    startupCost: 0,
    totalCost: 0,
    planRows: 0,
    planWidth: 0,
    actual: null,
    neverExecuted: false,
    workersPlanned: null,
    workersLaunched: null,
    parallelAware: false,
    filter: null,
    rowsRemovedByFilter: null,
    joinFilter: null,
    rowsRemovedByJoinFilter: null,
    indexCond: null,
    recheckCond: null,
    rowsRemovedByIndexRecheck: null,
    hashCond: null,
    mergeCond: null,
    sortKey: null,
    sortMethod: null,
    sortSpaceUsed: null,
    sortSpaceType: null,
    hashBuckets: null,
    hashBatches: null,
    originalHashBatches: null,
    peakMemoryUsage: null,
    exactHeapBlocks: null,
    lossyHeapBlocks: null,
    heapFetches: null,
    buffers: null,
    ioReadTimeMillis: null,
    children: [],
  };
}

function parseBuffers(value: string, into: PlanBuffers | null): PlanBuffers {
  const b: PlanBuffers = into ?? {
    sharedHit: 0,
    sharedRead: 0,
    sharedDirtied: 0,
    sharedWritten: 0,
    localHit: 0,
    localRead: 0,
    tempRead: 0,
    tempWritten: 0,
  };
  // "shared hit=1927 read=3, temp read=4813 written=5240"
  for (const group of value.split(',')) {
    const words = group.trim().split(/\s+/);
    const kind = words[0];
    for (const w of words.slice(1)) {
      const [k, v] = w.split('=');
      const n = Number(v);
      if (!Number.isFinite(n)) continue;
      if (kind === 'shared') {
        if (k === 'hit') b.sharedHit = n;
        else if (k === 'read') b.sharedRead = n;
        else if (k === 'dirtied') b.sharedDirtied = n;
        else if (k === 'written') b.sharedWritten = n;
      } else if (kind === 'local') {
        if (k === 'hit') b.localHit = n;
        else if (k === 'read') b.localRead = n;
      } else if (kind === 'temp') {
        if (k === 'read') b.tempRead = n;
        else if (k === 'written') b.tempWritten = n;
      }
    }
  }
  return b;
}

/** Applies one `Key: value` detail line to its node. */
function applyDetail(node: PlanNode, key: string, value: string): void {
  const n = (s: string | undefined) => (s === undefined ? null : Number(s));
  switch (key) {
    case 'Filter':
      node.filter = value;
      return;
    case 'Rows Removed by Filter':
      node.rowsRemovedByFilter = n(value);
      return;
    case 'Join Filter':
      node.joinFilter = value;
      return;
    case 'Rows Removed by Join Filter':
      node.rowsRemovedByJoinFilter = n(value);
      return;
    case 'Index Cond':
      node.indexCond = value;
      return;
    case 'Recheck Cond':
      node.recheckCond = value;
      return;
    case 'Rows Removed by Index Recheck':
      node.rowsRemovedByIndexRecheck = n(value);
      return;
    case 'Hash Cond':
      node.hashCond = value;
      return;
    case 'Merge Cond':
      node.mergeCond = value;
      return;
    case 'Sort Key':
      node.sortKey = value.split(/,\s*/);
      return;
    case 'Workers Planned':
      node.workersPlanned = n(value);
      return;
    case 'Workers Launched':
      node.workersLaunched = n(value);
      return;
    case 'Heap Fetches':
      node.heapFetches = n(value);
      return;
    case 'Buffers':
      node.buffers = parseBuffers(value, node.buffers);
      return;
    case 'I/O Timings': {
      const m = /(?:shared )?read=([\d.]+)/.exec(value);
      if (m) node.ioReadTimeMillis = Number(m[1]);
      return;
    }
    case 'Sort Method': {
      // "external merge  Disk: 6136kB" | "quicksort  Memory: 25kB"
      const m = /^(?<method>.+?)\s+(?<type>Disk|Memory):\s+(?<kb>\d+)kB/.exec(value);
      if (m?.groups) {
        const kb = Number(m.groups.kb);
        if (node.sortSpaceType !== 'Disk' || m.groups.type === 'Disk') {
          if (node.sortSpaceUsed === null || kb > node.sortSpaceUsed || m.groups.type === 'Disk') {
            node.sortMethod = m.groups.method!;
            node.sortSpaceType = m.groups.type!;
            node.sortSpaceUsed = kb;
          }
        }
      } else node.sortMethod = value;
      return;
    }
    case 'Heap Blocks': {
      const exact = /exact=(\d+)/.exec(value);
      const lossy = /lossy=(\d+)/.exec(value);
      node.exactHeapBlocks = exact ? Number(exact[1]) : 0;
      node.lossyHeapBlocks = lossy ? Number(lossy[1]) : 0;
      return;
    }
    case 'Buckets': {
      // "Buckets: 1024 (originally 1024)  Batches: 4 (originally 1)  Memory Usage: 4097kB"
      const buckets = /^(\d+)/.exec(value);
      const batches = /Batches: (\d+)(?: \(originally (\d+)\))?/.exec(value);
      const memory = /Memory Usage: (\d+)kB/.exec(value);
      node.hashBuckets = buckets ? Number(buckets[1]) : null;
      node.hashBatches = batches ? Number(batches[1]) : null;
      node.originalHashBatches = batches ? Number(batches[2] ?? batches[1]) : null;
      node.peakMemoryUsage = memory ? Number(memory[1]) : null;
      return;
    }
  }
}

/** True when the text looks like an EXPLAIN text plan (a node line with costs). */
export function looksLikeTextPlan(text: string): boolean {
  return text.split('\n').some((l) => NODE_LINE.test(l.replace(/\s*\+$/, '')));
}

/** Parses an EXPLAIN text plan. Throws {@link InputError} when no node line is found. */
export function parseTextPlan(input: string): Plan {
  const lines = input.split(/\r?\n/).map((l) => l.replace(/\s*\+$/, ''));
  type Frame = { node: PlanNode; indent: number };
  const stack: Frame[] = [];
  let root: PlanNode | null = null;
  let nextId = 0;
  let pendingSubplan: { name: string; indent: number } | null = null;
  let planning: number | null = null;
  let execution: number | null = null;
  let triggerTime = 0;
  let analyzed = false;
  for (const raw of lines) {
    if (/^\s*QUERY PLAN\s*$/.test(raw) || /^\s*-+\s*$/.test(raw) || /^\s*\(\d+ rows?\)\s*$/.test(raw)) continue;
    const m = NODE_LINE.exec(raw);
    if (m?.groups) {
      const g = m.groups;
      const indent = (g.indent ?? '').length + (raw.trimStart().startsWith('->') ? 4 : 0);
      const node = emptyNode(nextId++);
      Object.assign(node, nameParts(g.name!));
      node.startupCost = Number(g.sc);
      node.totalCost = Number(g.tc);
      node.planRows = Number(g.rows);
      node.planWidth = Number(g.width);
      if (g.never) {
        node.neverExecuted = true;
        analyzed = true;
      } else if (g.loops !== undefined) {
        analyzed = true;
        node.actual = {
          startupTimeMillis: g.ast === undefined ? 0 : Number(g.ast),
          totalTimeMillis: g.att === undefined ? 0 : Number(g.att),
          rows: Number(g.ar),
          loops: Number(g.loops),
        };
        if (node.actual.loops === 0) {
          node.actual = null;
          node.neverExecuted = true;
        }
      }
      while (stack.length > 0 && stack[stack.length - 1]!.indent >= indent) stack.pop();
      const parent = stack[stack.length - 1]?.node;
      if (pendingSubplan && pendingSubplan.indent < indent) {
        node.subplanName = pendingSubplan.name;
        node.parentRelationship = pendingSubplan.name.startsWith('InitPlan')
          ? 'InitPlan'
          : pendingSubplan.name.startsWith('SubPlan')
            ? 'SubPlan'
            : 'InitPlan';
      } else if (parent) node.parentRelationship = parent.children.length === 0 ? 'Outer' : 'Inner';
      pendingSubplan = null;
      if (parent) parent.children.push(node);
      else if (!root) root = node;
      stack.push({ node, indent });
      continue;
    }
    const trimmed = raw.trim();
    if (!trimmed) continue;
    // "Planning:" (PG 13+ with BUFFERS) opens a statement-level section: its Buffers line is not a node's.
    if (trimmed === 'Planning:' || trimmed === 'Execution:') {
      stack.length = 0;
      continue;
    }
    const planningTime = /^Planning Time: ([\d.]+) ms/.exec(trimmed);
    if (planningTime) {
      planning = Number(planningTime[1]);
      continue;
    }
    const executionTime = /^Execution Time: ([\d.]+) ms/.exec(trimmed);
    if (executionTime) {
      execution = Number(executionTime[1]);
      continue;
    }
    const trigger = /^Trigger .*: time=([\d.]+) calls=\d+/.exec(trimmed);
    if (trigger) {
      triggerTime += Number(trigger[1]);
      continue;
    }
    if (/^(InitPlan|SubPlan|CTE) /.test(trimmed)) {
      pendingSubplan = { name: trimmed, indent: raw.length - raw.trimStart().length };
      continue;
    }
    const current = stack[stack.length - 1]?.node;
    if (!current) continue;
    const worker = /^Worker \d+:\s+(.*)$/.exec(trimmed);
    const detail = worker ? worker[1]! : trimmed;
    const colon = detail.indexOf(': ');
    if (colon > 0) applyDetail(current, detail.slice(0, colon), detail.slice(colon + 2));
  }
  if (!root) throw new InputError('not an EXPLAIN plan: no plan node line with (cost=…) was found');
  return {
    root,
    analyzed,
    planningTimeMillis: planning,
    executionTimeMillis: execution,
    triggerTimeMillis: triggerTime,
    settings: {},
    jitMillis: null,
  };
}
