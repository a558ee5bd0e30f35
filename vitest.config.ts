import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
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
