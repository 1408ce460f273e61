import { Presets, SingleBar } from 'cli-progress';

/** A progress bar on stderr for long runs; silent when stderr is not a terminal (CI logs stay readable). */
export function progressBar(label: string, total: number, extra = ''): SingleBar {
  const bar = new SingleBar(
    {
      format: `  ${label} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}${extra}`,
      hideCursor: true,
      clearOnComplete: false,
      fps: 8,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0);
  return bar;
}
