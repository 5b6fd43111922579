// Public API of the engine. Everything a caller needs is exported here; the modules behind it may move.
export { reconstruct, createEngine, DEFAULT_MIN_PRESENCE } from './reconstruct.js';
export type { Engine, ReconstructOptions, ReconstructResult, StageTimings } from './reconstruct.js';
export { decodeImage, DEFAULT_MAX_PIXELS } from './decode.js';
export { ReconError, ErrorCodes, isReconError, toReconError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { ModelRuntime } from './models/runtime.js';
export { ensureModel, modelCacheDir, MODEL_NAMES } from './models/store.js';
export type * from './types.js';
