// A mergeable quantile sketch for the rollups (DDSketch's log-spaced buckets): every value lands in the
// bucket (γ^(i-1), γ^i] and is read back as the bucket's midpoint, within ACCURACY of itself. Sketches of
// two day-grains merge by adding bucket counts, so a report over many grains never rereads the runs.
// Values are seconds and never negative (connectors clamp them); 0 has a bucket of its own.

/** Largest relative error of a value read back from the sketch. */
export const ACCURACY = 0.005;
const GAMMA = (1 + ACCURACY) / (1 - ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);

export interface Sketch {
  count: number;
  zeros: number;
  /** Bucket index → values in it. */
  buckets: Map<number, number>;
}

export function emptySketch(): Sketch {
  return { count: 0, zeros: 0, buckets: new Map() };
}

export function addValue(sketch: Sketch, value: number): void {
  sketch.count += 1;
  if (value <= 0) {
    sketch.zeros += 1;
    return;
  }
  const index = Math.ceil(Math.log(value) / LOG_GAMMA);
  sketch.buckets.set(index, (sketch.buckets.get(index) ?? 0) + 1);
}

/** Adds `other` into `into`. */
export function mergeSketch(into: Sketch, other: Sketch): void {
  into.count += other.count;
  into.zeros += other.zeros;
  for (const [index, n] of other.buckets) into.buckets.set(index, (into.buckets.get(index) ?? 0) + n);
}

/** Stored form: a JSON array `[zeros, index, count, index, count, …]`, indexes ascending. */
export function encodeSketch(sketch: Sketch): string {
  const flat: number[] = [sketch.zeros];
  for (const index of [...sketch.buckets.keys()].sort((a, b) => a - b)) {
    flat.push(index, sketch.buckets.get(index) as number);
  }
  return JSON.stringify(flat);
}

/** Adds a stored sketch into `into` (decoding and merging in one pass: reports merge thousands). */
export function mergeEncoded(into: Sketch, encoded: string): void {
  const flat = JSON.parse(encoded) as number[];
  const zeros = flat[0] ?? 0;
  into.zeros += zeros;
  into.count += zeros;
  for (let i = 1; i + 1 < flat.length; i += 2) {
    const index = flat[i] as number;
    const n = flat[i + 1] as number;
    into.buckets.set(index, (into.buckets.get(index) ?? 0) + n);
    into.count += n;
  }
}

/**
 * Continuous percentile like the exact one (linear interpolation between the closest ranks), with each
 * rank's value read from its bucket; `max`, kept exactly beside the sketch, bounds the answer. Null when
 * the sketch is empty.
 */
export function sketchPercentile(sketch: Sketch, p: number, max: number | null): number | null {
  return sketchPercentiles(sketch, [p], max)[0] ?? null;
}

/** Several percentiles of one sketch, its buckets ordered once for all of them. */
export function sketchPercentiles(
  sketch: Sketch,
  ps: readonly number[],
  max: number | null,
): (number | null)[] {
  if (sketch.count === 0) return ps.map(() => null);
  const indexes = [...sketch.buckets.keys()].sort((a, b) => a - b);
  return ps.map((p) => {
    const h = p * (sketch.count - 1);
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, sketch.count - 1);
    const [low, high] = valuesAtRanks(sketch, indexes, lo, hi);
    const value = low + (h - lo) * (high - low);
    return max === null ? value : Math.min(value, max);
  });
}

/** The values at two ranks (0-based, lo <= hi), walking the buckets once in value order. */
function valuesAtRanks(sketch: Sketch, indexes: number[], lo: number, hi: number): [number, number] {
  let seen = sketch.zeros;
  let low: number | null = lo < seen ? 0 : null;
  if (hi < seen) return [0, 0];
  for (const index of indexes) {
    seen += sketch.buckets.get(index) as number;
    if (low === null && lo < seen) low = bucketValue(index);
    if (hi < seen) return [low ?? bucketValue(index), bucketValue(index)];
  }
  throw new RangeError(`rank ${hi} is beyond the sketch's ${sketch.count} values`);
}

function bucketValue(index: number): number {
  return (2 * GAMMA ** index) / (GAMMA + 1);
}
