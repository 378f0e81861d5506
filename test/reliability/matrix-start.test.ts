// The fault matrix, first half: faults before a worker is ready, and between jobs.
// (Split from matrix-jobs.test.ts so that the two halves run in parallel.)
import { describeMatrix } from './matrix.js';

describeMatrix(['load', 'init', 'idle']);
