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

/** Vant's icon font comes as a data: URL with a CDN fallback, both refused by the pages' CSP
 * (fonts from this origin only). The font is taken out of Vant's stylesheet at build time and
 * served as our own file, /m/vant-icon.woff2, which the stylesheet then names. */
function vantIconFont(): Plugin {
  let font: Buffer | null = null
  return {
    name: 'wenming-vant-icon-font',
    transform(code, id) {
      if (!/vant[\\/]es[\\/]icon[\\/]index\.css$/.test(id)) return null
      const found = /src:url\(data:font\/woff2;charset=utf-8;base64,([A-Za-z0-9+/=]+)\) format\("woff2"\)(,url\([^)]*\) format\("woff"\))?/.exec(code)
      if (!found) throw new Error('vant icon font: the @font-face source was not found; update wenming-vant-icon-font')
      font = Buffer.from(found[1]!, 'base64')
      return { code: code.replace(found[0], 'src:url(/m/vant-icon.woff2) format("woff2")'), map: null }
    },
    generateBundle() {
      if (font) this.emitFile({ type: 'asset', fileName: 'm/vant-icon.woff2', source: font })
    },
  }
}

// The console is one entry, console/index.html, built to dist/console/index.html; the phone app
// (m/index.html → dist/m/index.html) and the wall screen (screen.html → dist/screen.html) are two
// more. Their code and
// styles go to dist/assets/ under content-hashed names (served as immutable by the web
// component). public/ (the status card) is copied to dist/ as it is.
export default defineConfig({
  plugins: [vue(), consoleFallback(), vantIconFont()],
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
