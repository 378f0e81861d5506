// forkpool, piscina and tinypool: an ES module whose default export is the job function.
import core from './work-core.cjs';

export default core.work;
