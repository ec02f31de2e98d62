// How a duration reads, the same in the CLI, the markdown report and the dashboard (which imports this file,
// so it must stay free of Node modules). A value is rounded to the precision it is shown at before it is
// split into units, so the rounding carries: 59.6 s is `1m 00s`, never `60s`; 3599.7 s is `1h 00m`.

/**
 * Tenths below 10 s (`0.4s`, `6.7s`, `7s`), whole seconds below a minute (`59s`), minutes and seconds
 * below an hour (`1m 00s`, `59m 30s`), hours and minutes above (`1h 03m`, `26h 40m`). Negative values
 * (a change, not a duration) read with a minus sign.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 0) return `−${formatDuration(-seconds)}`;
  const tenths = Math.round(seconds * 10) / 10;
  if (tenths < 10 && !Number.isInteger(tenths)) return `${tenths.toFixed(1)}s`;
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m ${two(whole % 60)}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h ${two(minutes % 60)}m`;
}

const two = (n: number) => String(n).padStart(2, '0');
