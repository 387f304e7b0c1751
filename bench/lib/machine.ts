/** What the results were measured on: a ratio travels, an absolute figure needs its machine beside it. */
import * as os from 'node:os';
import { engineVersion } from './engine';
import { peerVersion } from './peer';
import type { MachineInfo } from './types';

/** The 1-minute load average, 2 decimals. */
export function loadAverage(): number {
  return Number((os.loadavg()[0] ?? 0).toFixed(2));
}

/** `startLoad`: loadAverage() when the scenario started. */
export function machineInfo(startLoad: number): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: (cpus[0]?.model ?? 'unknown').trim(),
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    engineOrt: engineVersion(),
    peerOrt: peerVersion(),
    loadAverage: { start: startLoad, end: loadAverage() },
  };
}
