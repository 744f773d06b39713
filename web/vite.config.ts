import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import type { Plugin } from 'vite'
import { defineConfig } from 'vitest/config'

/** In `npm run dev`, a console route (`/console/orgs`) serves the console page, as the web
 * component does in production; Vite's own fallback would serve public/index.html instead. */
function consoleFallback(): Plugin {
  return {
    name: 'wenming-console-fallback',
    configureServer(server) {
      server.middlewares.use((req, _res, next) => {
        const path = (req.url ?? '').split('?')[0] ?? ''
        const last = path.split('/').pop() ?? ''
        if ((path === '/console' || path.startsWith('/console/')) && !last.includes('.')) req.url = '/console/index.html'
        next()
      })
    },
  }
}

// The console is one entry, console/index.html, built to dist/console/index.html (the wall
// screen another, screen.html → dist/screen.html); its code and
// styles go to dist/assets/ under content-hashed names (served as immutable by the web
// component). public/ (the status card, the survey page) is copied to dist/ as it is.
export default defineConfig({
  plugins: [vue(), consoleFallback()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline <script> or data: module: the page's CSP is script-src 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        console: fileURLToPath(new URL('console/index.html', import.meta.url)),
        // The big-data screen (大屏), opened from a screen link as /screen.html#<token>.
        screen: fileURLToPath(new URL('screen.html', import.meta.url)),
      },
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
