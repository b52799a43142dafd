// Draws the results as an SVG of small multiples (one panel per figure, one bar per server), no chart library.

export interface ChartPanel {
  title: string;
  unit: string;
  /** Lower or higher is better (shown in the title). */
  better: 'lower' | 'higher';
  bars: Array<{ label: string; value: number; highlight: boolean }>;
}

const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const formatValue = (value: number): string => {
  if (Number.isNaN(value)) return 'n/a';
  if (value >= 100) return Math.round(value).toLocaleString('en-US');
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
};

const PANEL_W = 420;
const PANEL_H = 150;
const LABEL_W = 130;
const BAR_H = 20;
const GAP = 6;
const COLUMNS = 2;

export const renderChart = (title: string, subtitle: string, panels: readonly ChartPanel[]): string => {
  const rows = Math.ceil(panels.length / COLUMNS);
  const width = PANEL_W * COLUMNS + 20;
  const height = 60 + rows * PANEL_H;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="16" font-weight="600">${escapeXml(title)}</text>`,
    `<text x="10" y="42" fill="#555">${escapeXml(subtitle)}</text>`,
  ];
  panels.forEach((panel, index) => {
    const x0 = 10 + (index % COLUMNS) * PANEL_W;
    const y0 = 60 + Math.floor(index / COLUMNS) * PANEL_H;
    const finite = panel.bars.map((b) => b.value).filter((v) => Number.isFinite(v));
    const top = Math.max(...finite, 0) || 1;
    const barMax = PANEL_W - LABEL_W - 80;
    parts.push(
      `<text x="${x0}" y="${y0 + 14}" font-weight="600">${escapeXml(panel.title)}` +
        `<tspan fill="#777" font-weight="400"> (${escapeXml(panel.unit)}, ${panel.better} is better)</tspan></text>`,
    );
    panel.bars.forEach((bar, i) => {
      const y = y0 + 24 + i * (BAR_H + GAP);
      const w = Number.isFinite(bar.value) ? Math.max(1, (bar.value / top) * barMax) : 0;
      const fill = bar.highlight ? '#d9480f' : '#868e96';
      parts.push(
        `<text x="${x0 + LABEL_W - 6}" y="${y + 14}" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${x0 + LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" rx="2" fill="${fill}"/>`,
        `<text x="${x0 + LABEL_W + w + 6}" y="${y + 14}">${escapeXml(formatValue(bar.value))}</text>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
};
