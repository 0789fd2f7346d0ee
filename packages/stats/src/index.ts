/**
 * @argus/stats: pure streaming statistics for drift detection. No I/O, no clock, no randomness.
 * See README.md for the error bounds and references.
 */

export { probit as normalQuantile } from "simple-statistics";
export { Adwin, type AdwinJSON, type AdwinOptions, adwinCutEpsilon, adwinDeltaPrime } from "./adwin.js";
export {
  CategoryCounter,
  type CategoryCounterJSON,
  OTHER_CATEGORY,
} from "./category-counter.js";
export {
  type ChiSquareOptions,
  type ChiSquareResult,
  chi2Contingency,
  chiSquareTwoSample,
} from "./chisquare.js";
export {
  DDSketch,
  type DDSketchJSON,
  type DDSketchOptions,
  type DDSketchStoreJSON,
  ksTestSketches,
} from "./ddsketch.js";
export {
  jensenShannonDistance,
  type PsiOptions,
  psi,
  wassersteinDistance,
  wassersteinDistanceNorm,
} from "./distances.js";
export { gammaPoissonSurprise } from "./gamma-poisson.js";
export {
  FixedBinHistogram,
  type FixedBinHistogramJSON,
  ksTestHistograms,
  quantileEdges,
} from "./histogram.js";
export { kolmogorovSmirnovCdf, kolmogorovSmirnovSf, smirnovSf } from "./kolmogorov.js";
export {
  type KsMethod,
  type KsOptions,
  type KsResult,
  ks2samp,
  ks2sampBinned,
  ks2sampPValue,
  ks2sampSorted,
} from "./ks.js";
export {
  PageHinkley,
  type PageHinkleyJSON,
  type PageHinkleyMode,
  type PageHinkleyOptions,
} from "./page-hinkley.js";
export * from "./random.js";
export {
  SHAPIRO_WILK_MAX_N,
  SHAPIRO_WILK_MIN_N,
  type ShapiroWilkResult,
  shapiroWilk,
  shapiroWilkPValue,
} from "./shapiro.js";
export { chiSquareSf, logGamma, regularizedGammaP, regularizedGammaQ } from "./special.js";
