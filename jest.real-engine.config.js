/**
 * The real-engine suites (test/real-engine): a real vLLM (CPU build) with a tiny local model, two
 * engines shared by every file (global setup and teardown), files one at a time in name order
 * (later files stop and replace engines). `make test` runs this after the main Jest run.
 */
import base from './jest.config.js';

export default {
  ...base,
  roots: ['<rootDir>/test/real-engine'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // Loaded by Node itself, not through ts-jest: the compiled harness (make test builds first).
  globalSetup: '<rootDir>/test/dist/real-engine/harness/global-setup.js',
  globalTeardown: '<rootDir>/test/dist/real-engine/harness/global-teardown.js',
  testSequencer: '<rootDir>/test/real-engine/harness/sequencer.mjs',
  maxWorkers: 1,
  testTimeout: 180_000,
};
