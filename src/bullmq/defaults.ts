/**
 * Lock and stall defaults for worker hosts, chosen for forkpool rather than BullMQ's general case.
 *
 * BullMQ's defaults (30 s locks, 30 s stalled checks) let a SIGKILLed host's jobs sit for about a
 * minute before another host retries them. A forkpool host runs jobs in child processes, so its
 * own event loop stays free and renews locks on time even under full CPU load: short locks are
 * safe here. A dead host's job restarts after at most `lockDuration` (the lock expiring) plus two
 * `stalledInterval`s (a job is marked on one check and moved back to wait on the next).
 */
export const WORKER_DEFAULTS = {
  /** Lock time (ms); renewed every half of it while the job runs. */
  lockDuration: 3000,
  /** How often (ms) each host looks for jobs whose host died. */
  stalledInterval: 1000,
  /**
   * How many host losses a job survives before it fails with ERR_WORKER_HOST_LOST. BullMQ's
   * default (1) fails a job for good the second time its host dies; this must cover the
   * retries promised to producers (see `maxRetries`).
   */
  maxStalledCount: 3,
  /**
   * How long (ms) the host waits for Redis at start, and at close for the results it still has
   * to report; results it cannot report by then are logged as lost (another host reruns them).
   */
  redisTimeout: 30_000,
} as const;

export const PRODUCER_DEFAULTS = {
  /**
   * Seconds that finished jobs (and their results) stay in Redis. Results must outlive the
   * moment the producer reads them: `removeOnComplete: true` would delete a result before a
   * producer that missed the event could read it.
   */
  keepResults: 3600,
  /**
   * How often (ms) the producer reads the state of jobs it has heard nothing about. The event
   * stream is capped (~10,000 entries) and a reconnect can drop events: polling is what makes
   * every job settle even then.
   */
  reconcileInterval: 2000,
  /** Bound (ms) on the first connection to Redis and on each read the producer waits for. */
  connectTimeout: 10_000,
  /**
   * How long (ms) Redis may go unanswered mid-run (stopped, cut off, paused) before every pending
   * job fails with ERR_REDIS_UNAVAILABLE. Long enough for a restart or a failover, short enough
   * that a producer never seems hung.
   */
  redisTimeout: 30_000,
} as const;

/** BullMQ job name used for forkpool jobs (visible in dashboards). */
export const JOB_NAME = 'forkpool';
