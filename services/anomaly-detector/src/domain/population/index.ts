export {
  binomialSurprise,
  calibrateFromClients,
  calibratePopulation,
  DEFAULT_POPULATION_POLICY,
  fallbackCalibration,
  type PopulationCalibration,
  type PopulationPolicy,
  quantile,
  type ShareCalibration,
  type SharePolicy,
} from "./calibration.js";
export { clientSnapshot } from "./snapshot.js";
export {
  type ClientSnapshot,
  DEFAULT_POPULATION_SUMMARY_POLICY,
  decodeEntry,
  emptyPopulation,
  encodeSnapshot,
  mergePopulations,
  type PopulationEntry,
  type PopulationSummary,
  type PopulationSummaryPolicy,
  populationClients,
  updatePopulation,
} from "./summary.js";
