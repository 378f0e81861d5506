/**
 * What Histogram#record costs per call (the engine records two durations per job):
 *
 *   npm run build && node bench/histogram.js
 *
 * Prints ns per record (the loop's own cost subtracted) and µs per summary(), median of 5 rounds.
 */
import { Histogram } from '../dist/util/histogram.js';

const N = 10_000_000;
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
const histogram = new Histogram();
const perRecord = [];
let sink = 0;
for (let round = 0; round < 5; round++) {
  let start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink += (i % 100_000) / 13;
  const loop = Number(process.hrtime.bigint() - start) / N;
  start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) histogram.record((i % 100_000) / 13);
  perRecord.push(Number(process.hrtime.bigint() - start) / N - loop);
}
const start = process.hrtime.bigint();
for (let i = 0; i < 1000; i++) histogram.summary();
const perSummary = Number(process.hrtime.bigint() - start) / 1000 / 1000;
// Reading the sum keeps the baseline loop from being optimised away.
if (Number.isNaN(sink)) throw new Error('unreachable');
console.log(`record: ${median(perRecord).toFixed(1)} ns (median of 5 x ${N}); summary(): ${perSummary.toFixed(1)} µs`);
