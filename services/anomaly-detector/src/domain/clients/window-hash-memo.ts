// Window hashes already computed, for one salt and one window position of the query fingerprints.
// Real traffic keeps sending the same quantized windows (a feature's values fall in a few dozen
// steps), and a lookup here costs a few percent of the SHA-256 call it saves; the hash is a pure
// function of (salt, position, window), so what the memo forgets changes nothing but speed.
// Open addressing over typed arrays: a Map of ~10^4 entries per position costs a lookup several
// times as long and gives the garbage collector hundreds of thousands of entries to trace.

const SLOTS = 1 << 15;
/** Half full: probes stay short; a full memo starts over (the working set refills it in a few thousand queries). */
const MAX_FILLED = SLOTS >> 1;
const SHIFT = 32 - 15;

export class WindowHashMemo {
  /** key + 1 per slot (0: empty); keys are the caller's packed windows, 0 ≤ key < 2^30. */
  private readonly keys = new Int32Array(SLOTS);
  private readonly values = new Uint32Array(SLOTS);
  private filled = 0;

  /** The hash stored for `key`, or −1. */
  get(key: number): number {
    const tag = key + 1;
    for (let slot = Math.imul(tag, 0x9e3779b1) >>> SHIFT; ; slot = (slot + 1) & (SLOTS - 1)) {
      const stored = this.keys[slot] as number;
      if (stored === tag) return this.values[slot] as number;
      if (stored === 0) return -1;
    }
  }

  set(key: number, value: number): void {
    if (this.filled >= MAX_FILLED) {
      this.keys.fill(0);
      this.filled = 0;
    }
    const tag = key + 1;
    for (let slot = Math.imul(tag, 0x9e3779b1) >>> SHIFT; ; slot = (slot + 1) & (SLOTS - 1)) {
      const stored = this.keys[slot] as number;
      if (stored === tag) return;
      if (stored === 0) {
        this.keys[slot] = tag;
        this.values[slot] = value;
        this.filled += 1;
        return;
      }
    }
  }
}
