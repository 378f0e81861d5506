/** Runs `count` jobs through `run`, keeping `window` of them in flight; resolves when all settled. */
export function drive(run, count, window, makeJob) {
  return new Promise((resolve, reject) => {
    let submitted = 0;
    let done = 0;
    const submitOne = () => {
      const i = submitted++;
      run(makeJob(i)).then(() => {
        if (++done === count) resolve();
        else if (submitted < count) submitOne();
      }, reject);
    };
    for (let i = 0; i < Math.min(window, count); i++) submitOne();
  });
}
