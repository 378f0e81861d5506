/** Facades with the Perl seeds' names and behaviour, for people porting Perl code. */
export { BossWorkerAsync, type BossWorkerAsyncOptions } from './boss-worker-async.js';
export { PreforkIPC, type PreforkIPCOptions } from './prefork-ipc.js';
