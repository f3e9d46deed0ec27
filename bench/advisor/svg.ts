/**
 * A small, dependency-free SVG line chart: relative workload cost (RC) against the storage budget, one line per
 * method, one panel per workload, side by side in one file.
 */

/** One line of a panel. */
export interface Series {
  label: string;
  color: string;
  /** Dash pattern (`stroke-dasharray`) for baselines; solid when absent. */
  dash?: string;
  points: { x: number; y: number }[];
}

/** One chart. */
export interface Panel {
  title: string;
  series: Series[];
}

const W = 420;
const H = 328;
const M = { left: 52, right: 14, top: 62, bottom: 44 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

/**
 * Renders panels with a log-scaled x axis (budget, % of data size) and a linear y axis (RC) from 1 down to a tenth
 * below the panel's lowest value (0 when it goes that low), so close curves stay apart.
 */
export function renderChart(panels: readonly Panel[], xTicks: readonly number[], footnote: string): string {
  const xMin = Math.min(...xTicks);
  const xMax = Math.max(...xTicks);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const sx = (x: number) => M.left + ((Math.log(x) - Math.log(xMin)) / (Math.log(xMax) - Math.log(xMin))) * pw;
  let sy = (y: number) => y;
  const parts: string[] = [];
  const total = W * panels.length;
  const height = H + 24;
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${total}" height="${height}" viewBox="0 0 ${total} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="11">`,
    `<rect width="${total}" height="${height}" fill="#fff"/>`,
  );
  panels.forEach((panel, i) => {
    const g: string[] = [];
    const lowest = Math.min(1, ...panel.series.flatMap((s) => s.points.map((p) => p.y)));
    const yMin = Math.max(0, Math.floor((lowest - 0.05) * 10) / 10);
    sy = (y: number) => M.top + ((1 - Math.max(yMin, Math.min(1, y))) / (1 - yMin)) * ph;
    g.push(
      `<text x="${M.left + pw / 2}" y="18" text-anchor="middle" font-size="13" font-weight="600">${esc(panel.title)}</text>`,
    );
    const step = 1 - yMin > 0.5 ? 0.2 : 0.05;
    for (let y = 1; y >= yMin - 1e-9; y -= step) {
      g.push(
        `<line x1="${M.left}" x2="${M.left + pw}" y1="${fmt(sy(y))}" y2="${fmt(sy(y))}" stroke="#e5e7eb"/>`,
        `<text x="${M.left - 6}" y="${fmt(sy(y) + 4)}" text-anchor="end" fill="#374151">${y.toFixed(step < 0.1 ? 2 : 1)}</text>`,
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
    // The legend between the title and the plot, clear of the curves (a second row when one is not enough).
    const legend: string[] = [];
    let lx = M.left;
    let ly = 36;
    panel.series.forEach((s) => {
      const width = 36 + s.label.length * 6;
      if (lx + width > W - 4 && lx > M.left) {
        lx = M.left;
        ly += 14;
      }
      const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
      const pts = s.points.map((p) => `${fmt(sx(p.x))},${fmt(sy(p.y))}`).join(' ');
      g.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
      for (const p of s.points) g.push(`<circle cx="${fmt(sx(p.x))}" cy="${fmt(sy(p.y))}" r="2.8" fill="${s.color}"/>`);
      legend.push(
        `<line x1="${lx}" x2="${lx + 18}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`,
        `<text x="${lx + 22}" y="${ly}" fill="#111827">${esc(s.label)}</text>`,
      );
      lx += width;
    });
    g.push(...legend);
    parts.push(`<g transform="translate(${i * W} 0)">${g.join('')}</g>`);
  });
  parts.push(`<text x="8" y="${height - 6}" fill="#6b7280" font-size="10">${esc(footnote)}</text>`, '</svg>');
  return `${parts.join('\n')}\n`;
}
