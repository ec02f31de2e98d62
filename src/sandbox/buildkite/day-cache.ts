// Generated pipeline-days, least recently used first out, bounded by the number of builds they hold: a
// client walking through a large history keeps memory flat, and the days a page touches stay at hand.

export class DayCache<T> {
  private readonly days = new Map<string, readonly T[]>();
  private held = 0;

  constructor(private readonly maxBuilds: number) {}

  get(key: string, generate: () => readonly T[]): readonly T[] {
    const hit = this.days.get(key);
    if (hit) {
      this.days.delete(key);
      this.days.set(key, hit);
      return hit;
    }
    const items = generate();
    this.days.set(key, items);
    this.held += items.length;
    // The day just generated stays even when it alone is over the budget.
    for (const [oldest, old] of this.days) {
      if (this.held <= this.maxBuilds || oldest === key) break;
      this.days.delete(oldest);
      this.held -= old.length;
    }
    return items;
  }
}
