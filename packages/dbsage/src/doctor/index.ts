export type { DoctorRunInput, DoctorRunResult } from './runner.js';
export { runDoctor } from './runner.js';
export type { DoctorSessionInput, DoctorSessionRunInput, DoctorSessionStats } from './session.js';
export { createDoctor, DoctorSession } from './session.js';
