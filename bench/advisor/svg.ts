/**
 * A small, dependency-free SVG line chart: relative workload cost (RC) against the storage budget, one line per
 * method, one panel per workload, side by side in one file.
 */

/** One line of a panel. */
export interface Series {
  label: string;
  color: string;
  /** Dashed lines for baselines. */
  dashed?: boolean;
  points: { x: number; y: number }[];
}

/** One chart. */
export interface Panel {
  title: string;
  series: Series[];
}

const W = 420;
const H = 300;
const M = { left: 52, right: 14, top: 34, bottom: 44 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

/** Renders panels with a log-scaled x axis (budget, % of data size) and a linear y axis (RC, 0 … 1). */
export function renderChart(panels: readonly Panel[], xTicks: readonly number[], footnote: string): string {
  const xMin = Math.min(...xTicks);
  const xMax = Math.max(...xTicks);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + ((Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin))) * pw;
  const sy = (y: number) => M.top + (1 - Math.max(0, Math.min(1, y))) * ph;
  const parts: string[] = [];
  const total = W * panels.length;
  const height = H + 24;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${height}" viewBox="0 0 ${total} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`,
    `<rect width="${total}" height="${height}" fill="#fff"/>`,
  );
  panels.forEach((panel, i) => {
    const g: string[] = [];
    g.push(
      `<text x="${M.left + pw / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600">${esc(panel.title)}</text>`,
    );
    for (let t = 0; t <= 5; t++) {
      const y = t / 5;
      g.push(
        `<line x1="${M.left}" x2="${M.left + pw}" y1="${fmt(sy(y))}" y2="${fmt(sy(y))}" stroke="#e5e7eb"/>`,
        `<text x="${M.left - 6}" y="${fmt(sy(y) + 4)}" text-anchor="end" fill="#374151">${y.toFixed(1)}</text>`,
      );
    }
    for (const x of xTicks) {
      g.push(
        `<line x1="${fmt(sx(x))}" x2="${fmt(sx(x))}" y1="${M.top}" y2="${M.top + ph}" stroke="#f3f4f6"/>`,
        `<text x="${fmt(sx(x))}" y="${M.top + ph + 15}" text-anchor="middle" fill="#374151">${x}</text>`,
      );
    }
    g.push(
      `<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#9ca3af"/>`,
      `<text x="${M.left + pw / 2}" y="${M.top + ph + 32}" text-anchor="middle" fill="#111827">storage budget (% of data size, log scale)</text>`,
      `<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#111827">relative workload cost RC</text>`,
    );
    panel.series.forEach((s, k) => {
      const pts = s.points.map((p) => `${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(' ');
      g.push(
        `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      );
      for (const p of s.points) g.push(`<circle cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="2.8" fill="${s.color}"/>`);
      const ly = M.top + 12 + k * 14;
      const lx = M.left + pw - 118;
      g.push(
        `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
        `<text x="${lx + 23}" y="${ly}" fill="#111827">${esc(s.label)}</text>`,
      );
    });
    parts.push(`<g transform="translate(${i * W} 0)">${g.join('')}</g>`);
  });
  parts.push(`<text x="8" y="${height - 6}" fill="#6b7280" font-size="10">${esc(footnote)}</text>`, '</svg>');
  return `${parts.join('\n')}\n`;
}
