import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

// The console is one entry, console/index.html, built to dist/console/index.html; its code and
// styles go to dist/assets/ under content-hashed names (served as immutable by the web
// component). public/ (the status card, the survey page) is copied to dist/ as it is.
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline <script> or data: module: the page's CSP is script-src 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { console: fileURLToPath(new URL('console/index.html', import.meta.url)) },
    },
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev` beside a running edge (scripts/run): the API goes to it.
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'jsdom',
  },
})
