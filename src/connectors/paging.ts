// What both connectors' list readers check about the pages a server hands them.

/**
 * The items one listing has returned so far. A page made only of items already served is a server
 * repeating a page (a stale cache, a cursor that did not move): reading on would skip the page it stands for.
 */
export class ListingItems {
  private readonly seen = new Set<string>();

  /** Records a page's item ids; true when the page held items and every one had been served before. */
  repeats(ids: readonly string[]): boolean {
    const repeated = ids.length > 0 && ids.every((id) => this.seen.has(id));
    for (const id of ids) this.seen.add(id);
    return repeated;
  }
}
