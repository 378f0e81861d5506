// The fault matrix, second half: faults while a job is received, run and answered.
// (Split from matrix-start.test.ts so that the two halves run in parallel.)
import { describeMatrix } from './matrix.js';

describeMatrix(['receive', 'run', 'send']);
