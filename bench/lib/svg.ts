/**
 * A hand-built SVG bar chart of one result: horizontal bars (medians) with a tick for every sample,
 * baseline bars grey and engine bars blue. Pure string building, no dependencies.
 */
import type { Bar, ChartSection, ResultRecord } from './types';

const WIDTH = 760;
const LABEL_WIDTH = 250;
const VALUE_WIDTH = 90;
const BAR_HEIGHT = 18;
const ROW = 26;
/** Characters per line of the summary under the title (about the chart's width at 12 px). */
const SUMMARY_CHARS = 115;
const COLORS = { baseline: '#9e9e9e', engine: '#2f6fb3' } as const;

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function text(x: number, y: number, body: string, attrs = ''): string {
  return `<text x="${x}" y="${y}"${attrs ? ' ' + attrs : ''}>${escapeXml(body)}</text>`;
}

function barRow(bar: Bar, y: number, scale: number): string {
  const w = Math.max(1, bar.value * scale);
  const reach = Math.max(w, ...(bar.samples ?? []).map((s) => s * scale));
  const parts = [
    text(LABEL_WIDTH - 8, y + 13, bar.label, 'text-anchor="end"'),
    `<rect x="${LABEL_WIDTH}" y="${y}" width="${w.toFixed(1)}" height="${BAR_HEIGHT}" fill="${COLORS[bar.side]}"/>`,
    text(Math.round(LABEL_WIDTH + reach + 6), y + 13, formatValue(bar.value)),
  ];
  for (const s of bar.samples ?? []) {
    const x = (LABEL_WIDTH + s * scale).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${y - 2}" y2="${y + BAR_HEIGHT + 2}" stroke="#000" stroke-width="1.5"/>`);
  }
  return parts.join('');
}

/** Splits text into lines of at most `width` characters at spaces. */
export function wrap(body: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of body.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return line === '' ? lines : [...lines, line];
}

export function formatValue(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

/** Pixels per unit for a section: its largest bar or sample fills the plot width. */
function sectionScale(bars: readonly Bar[]): number {
  const max = Math.max(Number.MIN_VALUE, ...bars.map((b) => Math.max(b.value, ...(b.samples ?? []))));
  return (WIDTH - LABEL_WIDTH - VALUE_WIDTH) / max;
}

/** The chart for one result record. Each section has its own scale (sections may differ in unit). */
export function renderChart(record: ResultRecord, chart: readonly ChartSection[]): string {
  const summary = wrap(record.summary, SUMMARY_CHARS);
  const rows = summary.map((line, i) => text(10, 40 + i * 16, line, 'fill="#444"'));
  let y = 42 + summary.length * 16;
  for (const section of chart) {
    const scale = sectionScale(section.bars);
    rows.push(text(10, y + 4, section.heading, 'font-weight="bold"'));
    y += 14;
    for (const bar of section.bars) {
      rows.push(barRow(bar, y, scale));
      y += ROW;
    }
    y += 12;
  }
  const title = `${record.scenario}: ratio ${record.ratio.toFixed(2)} (target ${record['lowerIsBetter'] === true ? '≤' : '≥'} ${record.target}, ${record.met ? 'met' : 'missed'})`;
  const foot = `Bars are medians, ticks are samples. ${record.date.slice(0, 10)}, ${record.machine.cores} cores, ${record.machine.cpuModel}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 24}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    text(10, 22, title, 'font-size="15" font-weight="bold"'),
    ...rows,
    text(10, y + 8, foot, 'fill="#666" font-size="11"'),
    '</svg>',
    '',
  ].join('\n');
}
