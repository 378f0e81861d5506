// The options guard every constructor shares: not an object, or a key nobody knows (a typo).
import { describe, expect, it } from 'vitest';
import { DistributedPool, DistributedWorker } from '../dist/bullmq/index.js';
import { BossWorkerAsync, PreforkIPC } from '../dist/compat/index.js';
import { Pool, Prefork } from '../dist/index.js';
import { childPids, fixture } from './helpers.js';

const worker = fixture('echo.mjs');
const invalid = (option: string) => expect.objectContaining({ code: 'ERR_INVALID_OPTION', option });

const constructors: Array<[string, (options: unknown) => unknown, Record<string, unknown>]> = [
  ['Pool', (options) => new Pool(options as never), { worker }],
  ['Prefork', (options) => new Prefork(options as never), { worker }],
  ['PreforkIPC', (options) => new PreforkIPC(options as never), {}],
  ['DistributedPool', (options) => new DistributedPool(options as never), { connection: 'redis://127.0.0.1:1', queue: 'q' }],
];

describe('options', () => {
  it.each(constructors)('%s refuses a misspelt option, naming it and the known ones', (_name, make, valid) => {
    expect(() => make({ ...valid, wrokers: 2 })).toThrow(invalid('wrokers'));
    expect(() => make({ ...valid, wrokers: 2 })).toThrow(/unknown option; the known ones are .*, /);
  });

  const withFacade: typeof constructors = [...constructors, ['BossWorkerAsync', (options) => new BossWorkerAsync(options as never), {}]];
  it.each(withFacade)(
    '%s refuses options that are not an object, with an example',
    (_name, make) => {
      for (const options of [null, 'worker.js', 3]) expect(() => make(options)).toThrow(invalid('options'));
      expect(() => make(null)).toThrow(/expected an object such as \{/);
    },
  );

  it('DistributedWorker.start rejects options that are not an object', async () => {
    await expect(DistributedWorker.start(null as never)).rejects.toEqual(invalid('options'));
    // Nothing was started by any refused constructor.
    expect(childPids()).toEqual([]);
  });
});
