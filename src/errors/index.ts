export { ModelmuxError, type AttemptRecord, type ErrorCode, type ErrorDetails } from './base.js';
export * from './classes.js';
