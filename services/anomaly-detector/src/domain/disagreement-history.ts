/**
 * One label source's disagreement stream on one basis (with the model's confident predictions, or
 * with the request's first label from another source), kept bounded: its recent labels in blocks of
 * a fixed count, and everything older folded into a reference that fades. Each block remembers the
 * model's running count of comparisons on the basis (every source) when it opened, so the other
 * sources' counts over exactly the period of any run of recent blocks, or before it, are a
 * subtraction away. "Other sources" means comparisons the source took no part in: a comparison where
 * it gave the first label is counted in its blocks too (as a partner), only to be left out of the
 * others' (it is not its own label, and one wrong first label makes every later label of the request
 * disagree, so it is no independent evidence either).
 */

/** A run of consecutive labels of one source on one basis. */
export interface DisagreementBlock {
  /** The source's labels in the block, and how many disagreed. */
  n: number;
  k: number;
  /** Comparisons of other sources' labels with the source's first label in the block's period, and how many disagreed. */
  partnerN: number;
  partnerK: number;
  /** Event time (ms) of the block's first label. */
  since: number;
  /** The model's comparisons on this basis (every source) before the block's first label, and how many disagreed. */
  modelN: number;
  modelK: number;
}

/** Labels and disagreements of the source, and of the other sources over the same period. */
export interface PeriodCounts {
  n: number;
  k: number;
  othersN: number;
  othersK: number;
}

export interface DisagreementHistory {
  /** Every label of the source on this basis, ever (names findings). */
  labels: number;
  /** Event time (ms) of the first of them. */
  firstAt: number;
  /** Before the oldest block; scaled down to at most `maxReference` labels of the source, so old history fades. */
  reference: PeriodCounts;
  /** Oldest first; only the last may hold fewer than `blockLabels` labels. */
  blocks: DisagreementBlock[];
}

/** The model's comparisons on one basis, every source together, since its state began. */
export interface ModelCounts {
  n: number;
  k: number;
}

export interface HistoryShape {
  /** Labels per block: the step between the recent windows that are tested. */
  blockLabels: number;
  /** Full blocks kept besides the open one: the longest recent window is about blockLabels × recentBlocks labels. */
  recentBlocks: number;
  /** The reference is scaled down to this many labels of the source (exponential forgetting by label count). */
  maxReference: number;
}

export function emptyHistory(at: number): DisagreementHistory {
  return { labels: 0, firstAt: at, reference: { n: 0, k: 0, othersN: 0, othersK: 0 }, blocks: [] };
}

/**
 * Appends one label of the source (in place). `modelBefore` is the model's count on this basis
 * before this comparison was counted.
 */
export function recordDisagreement(
  history: DisagreementHistory,
  disagreed: boolean,
  at: number,
  modelBefore: ModelCounts,
  shape: HistoryShape,
): void {
  if (history.labels === 0) history.firstAt = at;
  let open = history.blocks[history.blocks.length - 1];
  if (!open || open.n >= shape.blockLabels) {
    open = openBlock(history, at, modelBefore, shape);
  }
  open.n++;
  if (disagreed) open.k++;
  history.labels++;
}

/**
 * Counts (in place) another source's label compared with this source's first label of the request,
 * in the current period, so that the others' counts leave it out.
 */
export function recordAsPartner(
  history: DisagreementHistory,
  disagreed: boolean,
  at: number,
  modelBefore: ModelCounts,
  shape: HistoryShape,
): void {
  const open = history.blocks[history.blocks.length - 1] ?? openBlock(history, at, modelBefore, shape);
  open.partnerN++;
  if (disagreed) open.partnerK++;
}

function openBlock(
  history: DisagreementHistory,
  at: number,
  modelBefore: ModelCounts,
  shape: HistoryShape,
): DisagreementBlock {
  const open = {
    n: 0,
    k: 0,
    partnerN: 0,
    partnerK: 0,
    since: at,
    modelN: modelBefore.n,
    modelK: modelBefore.k,
  };
  history.blocks.push(open);
  if (history.blocks.length > shape.recentBlocks + 1) foldOldestBlock(history, shape.maxReference);
  return open;
}

function foldOldestBlock(history: DisagreementHistory, maxReference: number): void {
  const [oldest, next] = history.blocks as [DisagreementBlock, DisagreementBlock];
  const reference = history.reference;
  reference.n += oldest.n;
  reference.k += oldest.k;
  reference.othersN += next.modelN - oldest.modelN - oldest.n - oldest.partnerN;
  reference.othersK += next.modelK - oldest.modelK - oldest.k - oldest.partnerK;
  if (reference.n > maxReference) {
    const keep = maxReference / reference.n;
    reference.n *= keep;
    reference.k *= keep;
    reference.othersN *= keep;
    reference.othersK *= keep;
  }
  history.blocks.shift();
}

/**
 * The recent windows, newest first: window i covers the last i + 1 blocks (the open one included),
 * with its counts and the counts before it (reference plus older blocks), each with the other
 * sources' over the same period. `model` is the model's count now.
 */
export function* recentWindows(
  history: DisagreementHistory,
  model: ModelCounts,
): Generator<{ since: number; recent: PeriodCounts; before: PeriodCounts }> {
  const blocks = history.blocks;
  const first = blocks[0];
  if (!first) return;
  // Own labels, and own plus partner comparisons (what the others' counts leave out), before the window.
  const older = { n: 0, k: 0, involvedN: 0, involvedK: 0 };
  for (const block of blocks) {
    older.n += block.n;
    older.k += block.k;
    older.involvedN += block.n + block.partnerN;
    older.involvedK += block.k + block.partnerK;
  }
  const recent = { n: 0, k: 0, involvedN: 0, involvedK: 0 };
  for (let i = blocks.length - 1; i >= 0; i--) {
    const block = blocks[i] as DisagreementBlock;
    recent.n += block.n;
    recent.k += block.k;
    recent.involvedN += block.n + block.partnerN;
    recent.involvedK += block.k + block.partnerK;
    older.n -= block.n;
    older.k -= block.k;
    older.involvedN -= block.n + block.partnerN;
    older.involvedK -= block.k + block.partnerK;
    yield {
      since: block.since,
      recent: {
        n: recent.n,
        k: recent.k,
        othersN: model.n - block.modelN - recent.involvedN,
        othersK: model.k - block.modelK - recent.involvedK,
      },
      before: {
        n: history.reference.n + older.n,
        k: history.reference.k + older.k,
        othersN: history.reference.othersN + (block.modelN - first.modelN - older.involvedN),
        othersK: history.reference.othersK + (block.modelK - first.modelK - older.involvedK),
      },
    };
  }
}

/** Everything still remembered (reference and blocks), with the other sources' over the same period. */
export function longRunCounts(history: DisagreementHistory, model: ModelCounts): PeriodCounts {
  let oldest: PeriodCounts = { n: 0, k: 0, othersN: 0, othersK: 0 };
  for (const window of recentWindows(history, model)) oldest = window.recent;
  const reference = history.reference;
  return {
    n: reference.n + oldest.n,
    k: reference.k + oldest.k,
    othersN: reference.othersN + oldest.othersN,
    othersK: reference.othersK + oldest.othersK,
  };
}
