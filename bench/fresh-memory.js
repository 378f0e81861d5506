/**
 * Why the 1 MiB scenario is what it is on a given machine: the cost of filling a 1 MiB buffer
 * that is reused, against one freshly allocated each time (as a result handed to a caller must
 * be). On the VMs measured here, fresh memory costs many times the copy: page faults.
 *
 *   node bench/fresh-memory.js
 */
import { readFileSync } from 'node:fs';

const MIB = 1024 * 1024;
const ROUNDS = 3000;
const source = Buffer.alloc(MIB, 7);

function minorFaults() {
  try {
    return Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
  } catch {
    return NaN; // not Linux
  }
}

function measure(label, target) {
  for (let i = 0; i < 200; i++) source.copy(target());
  const faults = minorFaults();
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) source.copy(target());
  const us = ((performance.now() - start) * 1000) / ROUNDS;
  console.log(`${label.padEnd(40)} ${us.toFixed(0).padStart(5)} µs per MiB, ${((minorFaults() - faults) / ROUNDS).toFixed(0)} page faults per MiB`);
  return us;
}

const reused = Buffer.allocUnsafe(MIB);
const warm = measure('copy into one reused 1 MiB buffer', () => reused);
const fresh = measure('copy into a fresh 1 MiB buffer each time', () => Buffer.allocUnsafe(MIB));
console.log(`fresh ÷ reused: ${(fresh / warm).toFixed(1)}×`);
