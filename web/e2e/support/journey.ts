// The set-up every journey file shares: the product and one Chromium, started before the file's
// tests and stopped after them (browser first, so no page is left talking to a stopped edge).

import { afterAll, beforeAll } from 'vitest'
import type { Browser } from 'playwright-core'
import { startProduct, type Product } from './edge'
import { launch } from './browser'

/** Registers the file's `beforeAll`/`afterAll`: the real edge on a fresh database started with
 * `options`, and Chromium; `started` hands both to the file (its tests read them after the hook). */
export function journey(
  options: Parameters<typeof startProduct>[0],
  started: (product: Product, browser: Browser) => void,
): void {
  let product: Product | undefined
  let browser: Browser | undefined
  beforeAll(async () => {
    product = await startProduct(options)
    browser = await launch()
    started(product, browser)
  })
  afterAll(async () => {
    await browser?.close()
    await product?.stop()
  })
}
