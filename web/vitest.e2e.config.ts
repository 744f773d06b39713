import { defineConfig } from 'vitest/config'

// End-to-end journeys: a real Chromium (playwright-core) against the real edge on a fresh
// database. Started by scripts/test after the cargo tests; one file at a time, one browser each.
export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
})
