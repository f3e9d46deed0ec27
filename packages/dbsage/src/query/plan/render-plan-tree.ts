import type { PlanAnalysis } from './plan-insights.js';
import { nodeLabel, type PlanNode } from './plan-node.js';

function fmtRows(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e4) return `${Math.round(n / 1e3)}k`;
  return String(Math.round(n * 100) / 100);
}

function fmtTime(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/**
 * A compact plan tree for the terminal: one line per node with its own time (or cost) and share, rows against
 * the estimate, and the ids of the insights that point at it. Colour is the caller's business (plain text here,
 * so it also goes into markdown and logs).
 */
export function renderPlanTree(analysis: PlanAnalysis): string {
  const { plan, timing } = analysis;
  const marks = new Map<number, string[]>();
  analysis.insights.forEach((i, rank) => {
    const list = marks.get(i.node.id) ?? [];
    list.push(`#${rank + 1} ${i.ruleId.replace(/^plan-/, '')}`);
    marks.set(i.node.id, list);
  });
  const lines: string[] = [];
  const visit = (node: PlanNode, prefix: string, last: boolean, root: boolean): void => {
    const t = timing.byId.get(node.id)!;
    const parts: string[] = [];
    if (plan.analyzed) {
      if (node.neverExecuted) parts.push('never executed');
      else {
        parts.push(
          `${fmtTime(t.exclusiveMillis)} self (${Math.round((t.exclusiveMillis / timing.total) * 100)} %)`,
          `rows ${fmtRows(t.totalRows)} est ${fmtRows(t.totalPlanRows)}`,
        );
        if ((node.actual?.loops ?? 1) > 1) parts.push(`loops ${fmtRows(node.actual!.loops)}`);
      }
    } else {
      parts.push(
        `cost ${Math.round(t.exclusiveCost)} self (${Math.round((t.exclusiveCost / timing.total) * 100)} %)`,
        `rows ${fmtRows(node.planRows)}`,
      );
    }
    const mark = marks.get(node.id);
    const connector = root ? '' : last ? '└─ ' : '├─ ';
    lines.push(`${prefix}${connector}${nodeLabel(node)}  ${parts.join(' · ')}${mark ? `  ◀ ${mark.join(', ')}` : ''}`);
    const childPrefix = root ? '' : prefix + (last ? '   ' : '│  ');
    node.children.forEach((c, i) => {
      visit(c, childPrefix, i === node.children.length - 1, false);
    });
  };
  visit(plan.root, '', true, true);
  const head: string[] = [];
  if (plan.analyzed) {
    head.push(
      `execution ${fmtTime(plan.executionTimeMillis ?? timing.total)}` +
        (plan.planningTimeMillis !== null ? ` · planning ${fmtTime(plan.planningTimeMillis)}` : '') +
        (plan.triggerTimeMillis > 0 ? ` · triggers ${fmtTime(plan.triggerTimeMillis)}` : ''),
    );
  } else head.push(`estimated cost ${Math.round(plan.root.totalCost)} (plain EXPLAIN: no timings)`);
  return [...head, ...lines].join('\n');
}
