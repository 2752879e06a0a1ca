/**
 * The simulation harness (`osprey/sim`): a program's actors under a deterministic simulated kernel
 * with injected faults, seed after seed, each failure reproducible from its seed. See docs/simulation.md.
 */
export { scenario, type Check, type FaultOptions, type Scenario } from './scenario.js';
export { Sim, type AssertionRecord } from './sim.js';
export { runScenario, describeResult, failureKey, type RunOptions, type SimulationFailure, type SimulationResult } from './run-scenario.js';
export { checkDeterminism, runCampaign, simulateSeeds, SimulationFailedError, type CampaignOptions, type CampaignSummary } from './campaign.js';
export { drawFaultPlan, describeFaultPlan, faultKindsOf, type PlannedFault, type PlannedSubsystemFault } from './fault-plan.js';
export { isTape, recordingRandom, replayingRandom, TapeMismatchError, type Tape } from './tape.js';
export { shrinkFaults, type ShrinkResult } from './shrink.js';
export { shrinkTape, shrinksTowardZero, tapeShrinkRunsMaxDefault, type TapeShrinkResult } from './shrink-tape.js';
export { chartLinesMax, sequenceChart } from './sequence-chart.js';
export {
  checkLinearizable,
  History,
  operationsPerKeyMax,
  registerModel,
  type Model,
  type Operation,
  type RegisterInput,
  type Verdict,
} from './linearizability.js';
export { faultPlans, type FastCheckParts } from './arbitraries.js';
export { type CoverageEvents, type CoverageOptions, machineCoverage, type MachineCoverage } from './coverage.js';
export { kernelMachineCoverage } from './kernel-coverage.js';
