import { readCpuSeconds } from '../../bench/lib/http-child';

describe('readCpuSeconds', () => {
  it("reads a process's CPU time and its main thread's, which is part of it", () => {
    const main = readCpuSeconds(process.pid, process.pid);
    const all = readCpuSeconds(process.pid);
    expect(main).toBeGreaterThan(0); // this thread has compiled and run the test file
    expect(main).toBeLessThanOrEqual(all);
  });

  it('says NaN for a thread or process that is not there', () => {
    expect(readCpuSeconds(process.pid, 2 ** 31 - 1)).toBeNaN();
    expect(readCpuSeconds(2 ** 31 - 1)).toBeNaN();
  });
});
