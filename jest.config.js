// NestJS 12 and TypeORM ship ESM; Jest on Node 20 needs them transformed (see shared STACK.md).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const shared = {
  // The client library is ESM (.mts, imported as .mjs) so that browsers can load it as built.
  transform: { '^.+\\.(m?t|j)s$': swc },
  moduleFileExtensions: ['ts', 'mts', 'js', 'mjs', 'cjs', 'json', 'node'],
  resolver: '<rootDir>/test/support/mts-resolver.js',
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|typeorm|file-type|load-esm|uid)/)'],
  testEnvironment: 'node',
};
module.exports = {
  // End-to-end tests start servers and databases; the embedded one takes seconds to create.
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
