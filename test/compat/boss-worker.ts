import { BossWorkerAsync } from '../../dist/compat/index.js';
import { track } from '../helpers.js';

/** A BossWorkerAsync that is force-shut after the test, whatever happens in it (as `track` does for pools). */
export function bossWorker(options: ConstructorParameters<typeof BossWorkerAsync>[0]): BossWorkerAsync {
  const bw = new BossWorkerAsync(options);
  track({ close: (closeOptions) => bw.shutDown(closeOptions) });
  return bw;
}
