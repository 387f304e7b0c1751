import { renderIndex } from '../../bench/lib/results';
import { escapeXml, renderChart, wrap } from '../../bench/lib/svg';
import type { ResultRecord } from '../../bench/lib/types';

const record: ResultRecord = {
  scenario: 'engine-limit',
  ratio: 0.95,
  target: 0.9,
  met: true,
  unit: 'images/s',
  summary: 'engine 950 images/s | ORT <loop> 1000 images/s',
  date: '2025-01-02T03:04:05.000Z',
  machine: {
    cores: 2,
    cpuModel: 'Some CPU',
    platform: 'linux x64',
    node: 'v20.0.0',
    engineOrt: '1.30.0',
    peerOrt: '1.30.0',
    loadAverage: { start: 1, end: 1 },
  },
};

describe('bench results', () => {
  it('writes one table row per result, escaping pipes', () => {
    const table = renderIndex([record]);
    expect(table).toContain('| [engine-limit](engine-limit.svg) | 0.95 | ≥ 0.9 | yes |');
    expect(table).toContain('engine 950 images/s \\| ORT');
    expect(table).toContain('| 2025-01-02 | 2 cores, Some CPU, load 1→1 |');
  });

  it('draws a bar per entry and a tick per sample, with escaped text', () => {
    const svg = renderChart(record, [
      {
        heading: 'Compared',
        bars: [
          { label: 'baseline', value: 1000, side: 'baseline', samples: [990, 1010] },
          { label: 'engine', value: 950, side: 'engine' },
        ],
      },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)).toHaveLength(3); // background + two bars
    expect(svg.match(/<line /g)).toHaveLength(2);
    expect(svg).toContain('ORT &#60;loop&#62;');
    expect(escapeXml(`a&"b'`)).toBe('a&#38;&#34;b&#39;');
  });

  it('wraps a long summary at spaces', () => {
    expect(wrap('aaa bbb ccc dddd', 8)).toEqual(['aaa bbb', 'ccc dddd']);
    expect(wrap('', 8)).toEqual([]);
  });
});
