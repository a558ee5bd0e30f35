import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // CI asks for a JSON report too, to fail on skipped tests and print the closing line.
    reporters: process.env.HEARTH_TEST_REPORT
      ? ['default', ['json', { outputFile: process.env.HEARTH_TEST_REPORT }]]
      : ['default'],
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/**/*.test.ts', 'src/main.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'src/common/**': { lines: 80 },
        'src/gateway/**': { lines: 80 },
        'src/router/**': { lines: 80 },
      },
    },
  },
});
