/**
 * The domain, importable by every layer and by the dashboard (as `syncbridge/domain`): the words
 * (statuses, phases, transition kinds, error types), date-times as the API takes them, backoff,
 * and the lifecycle's rules. Imports nothing outside this folder.
 */
export * from './words.js';
export * from './dates.js';
export * from './backoff.js';
export * from './lifecycle.js';
export * from './coalescing.js';
export * from './fairShare.js';
