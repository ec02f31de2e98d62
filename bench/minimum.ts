// The fewest Bitrise API requests a first sync needs to read the runs created since a moment, from the
// sandbox's ground truth: the apps list, per app the standalone-builds list and the pipelines list at the
// largest page (50, both), one show per pipeline, and, with steps, one log summary per finished build
// that started (a standalone build's own, a pipeline's workflow builds').
import type { BitriseTruth } from '../src/sandbox/bitrise/provider.js';

const pages = (items: number, perPage: number) => Math.max(1, Math.ceil(items / perPage));

export function bitriseMinimum(
  world: BitriseTruth,
  windowStartMs: number,
  options: { steps: boolean } = { steps: true },
): { total: number; detail: string } {
  const inWindow = (item: { triggered_at: string }) => Date.parse(item.triggered_at) >= windowStartMs;
  const apps = world.apps();
  let lists = pages(apps.length, 50);
  let shows = 0;
  let summaries = 0;
  for (const app of apps) {
    const runs = world.runs(app.slug).filter(inWindow);
    const standalone = runs.filter((run) => !run.is_pipeline).length;
    lists += pages(standalone, 50) + pages(runs.length, 50);
    shows += runs.length - standalone;
    if (options.steps)
      summaries += world
        .builds(app.slug)
        .filter((b) => inWindow(b) && b.started_on_worker_at && b.finished_at).length;
  }
  const detail = `${lists} list pages at 50 a page + ${shows} pipeline shows`;
  return options.steps
    ? {
        total: lists + shows + summaries,
        detail: `${detail} + ${summaries} log summaries of finished builds`,
      }
    : { total: lists + shows, detail };
}
