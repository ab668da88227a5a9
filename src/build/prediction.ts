import type { Design } from '../design/design.js';
import type { Prediction } from './compare.js';

/**
 * The predicted per-call figures of each top kernel of a design, from the cost model
 * (src/design/estimate.ts), or null when the estimator is not available.
 */
export function predictionForDesign(_design: Design): Prediction | null {
  return null;
}
