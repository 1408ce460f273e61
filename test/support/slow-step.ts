/**
 * Runs one step of a set-up or tear-down and, while it takes long, says which step it is on stderr (every 15 s):
 * a step that hangs on a busy machine is named in the log, not only seen as a hook's timeout.
 */
export async function reportIfSlow<T>(name: string, run: () => Promise<T>, everyMs = 15_000): Promise<T> {
  const started = Date.now();
  const watch = setInterval(
    () => process.stderr.write(`${name}: still running after ${Date.now() - started} ms\n`),
    everyMs,
  );
  try {
    return await run();
  } finally {
    clearInterval(watch);
  }
}
