/**
 * `p`, or the error `timedOut()` makes once `ms` have passed (the timer is cleared either way). The one deadline
 * of the project: cache commands, the liveness probe, loaders, health checks.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, timedOut: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(timedOut()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
