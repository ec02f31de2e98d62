// Axis ticks for durations at units a person reads at a glance (30 s, 1 m, 5 m, 10 m, 30 m, 1 h…), never
// at whatever ECharts' decimal steps give (16m 40s, 33m 20s).

/** Tick steps in seconds, smallest first. */
export const TICK_STEPS = [1, 5, 10, 30, 60, 300, 600, 1800, 3600, 7200, 10800, 21600, 43200, 86400] as const;
const MAX_TICKS = 6;

/** The step and the axis end for values up to `max` seconds: at most six steps above zero. */
export function durationTicks(max: number): { interval: number; max: number } {
  const top = Math.max(max, 1);
  const interval =
    TICK_STEPS.find((step) => top / step <= MAX_TICKS) ?? Math.ceil(top / MAX_TICKS / 86400) * 86400;
  return { interval, max: Math.ceil(top / interval) * interval };
}

/** A tick's label: `30s`, `1m 30s`, `5m`, `1h`, `1h 30m`. */
export function tickLabel(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600)
    return seconds % 60 === 0 ? `${seconds / 60}m` : `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  const minutes = Math.round(seconds / 60);
  return minutes % 60 === 0 ? `${minutes / 60}h` : `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
