// The phone app's first page by weight: dist/m/index.html and every file it loads before the
// first page can show (its script, stylesheet and the font it names, module preloads and their
// static imports; not the pages loaded later with import()), each gzipped (level 9), summed.
// `npm run build` first.
// Usage: node scripts/first-page-size.mjs [limit-kB]  (fails above the limit; default 300)

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const dist = join(import.meta.dirname, '..', 'dist')
const limit = Number(process.argv[2] ?? 300) * 1024
const seen = new Map()

function visit(path) {
  if (seen.has(path)) return
  const bytes = readFileSync(join(dist, path))
  seen.set(path, { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length })
  const text = bytes.toString('utf8')
  // The stylesheet's own files (the icon font), counted whether or not the first page shows an icon.
  if (path.endsWith('.css')) for (const m of text.matchAll(/url\((\/[^)"']+)\)/g)) visit(m[1])
  if (!path.endsWith('.js')) return
  // Static imports only (`import{…}from"./x.js"`, `import"./x.js"`): import() is a later page.
  for (const m of text.matchAll(/(?:^|[;}\s])import\s*(?:[\w*${}\s,]+from\s*)?["']\.\/([\w.-]+\.js)["']/g)) visit(`/assets/${m[1]}`)
}

const html = readFileSync(join(dist, 'm/index.html'), 'utf8')
seen.set('/m/index.html', { raw: Buffer.byteLength(html), gzip: gzipSync(html, { level: 9 }).length })
for (const m of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) visit(m[1])

let total = 0
for (const [path, size] of seen) {
  total += size.gzip
  console.log(`${path.padEnd(40)} ${String(size.raw).padStart(9)} B  gzip ${String(size.gzip).padStart(8)} B`)
}
console.log(`first page total (gzip): ${(total / 1024).toFixed(1)} kB (limit ${limit / 1024} kB)`)
if (total > limit) {
  console.error('over the limit')
  process.exit(1)
}
