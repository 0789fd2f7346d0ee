/**
 * A bounded map that forgets what was not used lately: entries live in two generations, a hit in
 * the older one moves the entry to the younger, and when the younger is full the older is dropped.
 * An approximate LRU without the per-hit delete and re-insert a strict LRU on a Map costs (which
 * made a Map rehash and took ten times as long as the lookup itself).
 */
export class RecentCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generationSize: number;

  /** Holds at most `capacity` entries (0 caches nothing). */
  constructor(capacity: number) {
    this.generationSize = Math.floor(capacity / 2);
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined || this.old.size === 0) return value;
    const aging = this.old.get(key);
    if (aging !== undefined) this.set(key, aging);
    return aging;
  }

  set(key: K, value: V): void {
    if (this.generationSize === 0) return;
    if (this.young.size >= this.generationSize) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }
}
