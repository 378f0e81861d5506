import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const versionOf = (name: string) => (JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, root), 'utf8')) as { version: string }).version;
const peerFloor = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { peerDependencies: Record<string, string> }).peerDependencies['bullmq'];
const lowest = process.env['FORKPOOL_TEST_BULLMQ'] === 'lowest';

it('the lowest BullMQ tested is the floor of the peer range', () => {
  expect(peerFloor).toBe(`>=${versionOf('bullmq-lowest')}`);
});

it(`this project runs on the ${lowest ? 'lowest' : 'newest'} BullMQ, here and in the processes it spawns`, async () => {
  const { Queue: LowestQueue } = await import('bullmq-lowest');
  expect((Queue as unknown) === LowestQueue).toBe(lowest);
  const probe = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', "const [a, b] = await Promise.all([import('bullmq'), import('bullmq-lowest')]); console.log(a.Queue === b.Queue)"],
    { cwd: new URL('.', root), encoding: 'utf8', timeout: 20_000 },
  );
  expect(probe.stderr).toBe('');
  expect(probe.stdout.trim()).toBe(String(lowest));
});
