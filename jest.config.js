/** One Jest run over every workspace: unit tests beside the code, integration tests under test/. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/common/src', '<rootDir>/proxy/src', '<rootDir>/operator/src', '<rootDir>/test', '<rootDir>/bench'],
  testMatch: ['**/*.test.ts'],
  // test/real-engine has its own run (jest.real-engine.config.js): real vLLM engines, in band.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '<rootDir>/test/real-engine/'],
  moduleNameMapper: {
    '^@vllm-router/common/routing-table$': '<rootDir>/common/src/routing-table/index.ts',
    '^@vllm-router/common/testing$': '<rootDir>/common/src/kube/testing/fake-collection.ts',
    '^@vllm-router/common$': '<rootDir>/common/src/index.ts',
    '^@vllm-router/proxy$': '<rootDir>/proxy/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  testTimeout: 30000,
};
