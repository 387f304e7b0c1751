/**
 * Results files in bench/results/: <scenario>.json (the full record), <scenario>.svg (its chart) and
 * README.md (one table row per scenario with a result, rebuilt from every JSON file after each run, so
 * a run of one scenario keeps the others' last results).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderChart } from './svg';
import type { ChartSection, ResultRecord } from './types';

export function writeResult(dir: string, record: ResultRecord, chart: readonly ChartSection[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${record.scenario}.json`), JSON.stringify(record, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, `${record.scenario}.svg`), renderChart(record, chart));
}

/** Every result record in `dir`, by scenario name. Files that are not records are skipped. */
export function readResults(dir: string): ResultRecord[] {
  if (!fs.existsSync(dir)) return [];
  const records: ResultRecord[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    try {
      const r = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Partial<ResultRecord>;
      if (typeof r.scenario === 'string' && typeof r.ratio === 'number' && r.machine) records.push(r as ResultRecord);
    } catch {
      // not a result record: leave it out of the table
    }
  }
  return records.sort((a, b) => a.scenario.localeCompare(b.scenario));
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The Markdown table of `records`. */
export function renderIndex(records: readonly ResultRecord[]): string {
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench` (see ../README.md); each ratio is engine ÷ baseline, both measured in the same',
    'process run, as the median of alternating repetitions. Charts: `<scenario>.svg`; full figures: `<scenario>.json`.',
    '',
    '| scenario | ratio | target | met | key figures | date | machine (load average at start→end) |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of records) {
    const load = r.machine.loadAverage;
    const machine = `${r.machine.cores} cores, ${r.machine.cpuModel}, load ${load.start}→${load.end}`;
    const row = [
      `[${r.scenario}](${r.scenario}.svg)`,
      r.ratio.toFixed(2),
      `${r['lowerIsBetter'] === true ? '≤' : '≥'} ${r.target}`,
      r.met ? 'yes' : 'no',
      r.summary,
      r.date.slice(0, 10),
      machine,
    ];
    lines.push(`| ${row.map(cell).join(' | ')} |`);
  }
  return lines.join('\n') + '\n';
}

export function writeIndex(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'README.md'), renderIndex(readResults(dir)));
}
