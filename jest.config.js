// Jest runs the TypeScript sources directly as ESM through swc (no type check here: `npm run build` does that).
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // a hang guard, never a speed bound: csim builds take minutes on a loaded 2-core machine
  testTimeout: 900000,
  // both cores: many suites mostly wait on child processes (g++, runners, Chromium), and every
  // test waits on events rather than time, so running two files at once is safe
  maxWorkers: 2,
};
