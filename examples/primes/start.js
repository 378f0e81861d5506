// `npm start`: generate a few thousand prime-search jobs and run them through `forkpool run`,
// with the progress bar (on a terminal) and the summary line on stderr.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeJobs } from './generate.js';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'forkpool-primes-'));
const input = join(dir, 'jobs.jsonl');
const output = join(dir, 'results.jsonl');

const file = createWriteStream(input);
await writeJobs(file, Number(process.env.JOBS) || 4000);
file.end();
await once(file, 'finish');

const args = [here('../../dist/cli/main.js'), 'run', here('./worker.js'), '--input', input, '--output', output, '--ordered'];
console.log(`$ forkpool run examples/primes/worker.js --input ${input} --output ${output} --ordered`);
const cli = spawn(process.execPath, args, { stdio: 'inherit' });
const [code] = await once(cli, 'exit');
rmSync(input, { force: true }); // regenerable; the results stay for a look

const lines = readFileSync(output, 'utf8').split('\n').filter(Boolean);
console.log(`\nFirst results (of ${lines.length}, all in ${output}):`);
for (const line of lines.slice(0, 3)) console.log(`  ${line}`);
const total = lines.reduce((sum, line) => sum + (JSON.parse(line).value?.count ?? 0), 0);
console.log(`Primes found: ${total}`);
process.exitCode = code ?? 1;
