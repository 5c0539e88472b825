/**
 * The features service: point-in-time features, labels and the leakage harness. The parts live in
 * services/features/: plan (options, instruments, config), inputs (staging through the store's
 * read side), kernels + families + compute (the window engine), build (assembly, partial builds,
 * write), labels, leakage.
 */
export { featuresSpec, labelsSpec } from '../domain/features.js';
export type { FeaturesOptions, WorkerMode } from './features/plan.js';
export { buildFeatures, builtFamilies, type BuiltFamily, type FeaturesResult } from './features/build.js';
export { buildLabels, type LabelsOptions, type LabelsResult } from './features/labels.js';
export { checkLeakage, type LeakageOptions, type LeakageDifference, type LeakageResult } from './features/leakage.js';
