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
        else if ((path === '/m' || path.startsWith('/m/')) && !last.includes('.')) req.url = '/m/index.html'
        next()
      })
    },
  }
}

// The console is one entry (and the phone app, m/index.html, another), console/index.html, built to dist/console/index.html; its code and
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
        // The people's phone pages (H5): their own entry, built to dist/m/index.html.
        m: fileURLToPath(new URL('m/index.html', import.meta.url)),
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
