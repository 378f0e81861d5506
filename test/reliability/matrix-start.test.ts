// The fault matrix, first half: faults before a worker is ready, and between jobs.
// (Split from matrix-jobs.test.ts so that the two halves run in parallel.)
import { describe, it } from 'vitest';
import { FAULTS, MATRIX, runCell, type Stage } from './matrix.js';

const STAGES: Stage[] = ['load', 'init', 'idle'];

for (const stage of STAGES) {
  describe(`fault matrix: ${stage}`, () => {
    for (const fault of FAULTS) {
      const cell = MATRIX[stage][fault];
      // Not-meaningful cells are listed (todo) with their reason, never counted as passing.
      if (typeof cell === 'string') it.todo(`${fault}: n/a — ${cell}`);
      else it(`${fault} → ${cell.job}${cell.exit ? ` (worker exit: ${cell.exit})` : ''}`, () => runCell(stage, fault, cell));
    }
  });
}
