// benchloop.cjs: the timed loop of the SDK benchmarks (run.mjs --bench for SDK 2.2.63,
// naga/run-naga.js --bench for SDK 8.3.1; BenchmarkRealSDK and BenchmarkRealSDKNaga
// read the line they print).
'use strict';

// benchCalls runs one() five times as a warm-up (one(true): the caller may check more
// there), then n times, c calls at a time (one(false)), and returns the calls, this
// process's CPU time over the timed calls (cpuUs), the elapsed time and the p50/p99
// latencies. n and c are positive: each script checks its options (a usage error).
async function benchCalls(one, n, c) {
  for (let i = 0; i < 5; i++) await one(true);
  const lat = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      next++;
      const s = performance.now();
      await one(false);
      lat.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: c }, worker));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  lat.sort((a, b) => a - b);
  return { calls: lat.length, cpuUs: cpu.user + cpu.system, elapsedMs, p50Ms: lat[Math.floor(lat.length / 2)],
    p99Ms: lat[Math.floor((lat.length * 99) / 100)] };
}

module.exports = { benchCalls };
