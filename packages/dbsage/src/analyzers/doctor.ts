import { DOCTOR_CHECKS } from '../doctor/all-checks.js';
import type { Analyzer } from '../findings/registry.js';

/** The doctor's checks, for analyzer discovery (demo and other runners run every discovered analyzer). */
export const analyzers: Analyzer[] = [...DOCTOR_CHECKS];
