/**
 * Preloaded (`--import`) into the CLI's worker processes. A terminal's Ctrl-C signals the whole
 * foreground process group, workers included; by default they would die mid-job. The CLI
 * decides instead: the first Ctrl-C lets running jobs finish, the second kills the workers.
 */
process.on('SIGINT', () => undefined);
