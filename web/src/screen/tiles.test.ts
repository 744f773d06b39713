import { describe, expect, it } from 'vitest'
import { fitZoom, located, placeIn, project, tileUrl, viewOf, TILE } from './tiles'

describe('the screen map’s tile arithmetic', () => {
  it('projects onto Web Mercator world pixels', () => {
    expect(project({ latitude: 0, longitude: 0 }, 0)).toEqual({ x: 128, y: 128 })
    expect(project({ latitude: 0, longitude: 180 }, 1).x).toBe(512)
    expect(project({ latitude: 90, longitude: 0 }, 0).y).toBeCloseTo(0, 6)
    // Beijing (39.9042 N, 116.4074 E) lies in tile 13489/6208 at zoom 14: x = (116.4074 + 180) / 360 × 2^14 = 13489.8.
    const p = project({ latitude: 39.9042, longitude: 116.4074 }, 14)
    expect([Math.floor(p.x / TILE), Math.floor(p.y / TILE)]).toEqual([13489, 6208])
  })

  it('keeps only places with coordinates on the globe', () => {
    const items = [
      { id: 1, latitude: 30, longitude: 120 },
      { id: 2, latitude: null, longitude: 120 },
      { id: 3, latitude: 95, longitude: 120 },
    ]
    expect(located(items).map((i) => i.id)).toEqual([1])
  })

  it('zooms in as far as the places still fit inside the margin', () => {
    const a = { latitude: 30.0, longitude: 120.0 }
    const b = { latitude: 30.1, longitude: 120.1 }
    const zoom = fitZoom([a, b], 800, 600)
    // The larger of the two spans against its room (the view less the margin on both sides).
    const fill = (z: number) =>
      Math.max((project(b, z).x - project(a, z).x) / (800 - 96), (project(a, z).y - project(b, z).y) / (600 - 96))
    expect(fill(zoom)).toBeLessThanOrEqual(1)
    expect(fill(zoom + 1)).toBeGreaterThan(1)
  })

  it('fills the template and covers the view with tiles, places inside it', () => {
    expect(tileUrl('https://t.example/{z}/{x}/{y}.png?k=1', 3, 6, 2)).toBe('https://t.example/3/6/2.png?k=1')
    const places = [
      { latitude: 30.0, longitude: 120.0 },
      { latitude: 30.1, longitude: 120.1 },
    ]
    const view = viewOf(places, 800, 600, 'https://t.example/{z}/{x}/{y}')
    for (const p of places) {
      const at = placeIn(view, p)
      expect(at.x).toBeGreaterThanOrEqual(0)
      expect(at.x).toBeLessThanOrEqual(800)
      expect(at.y).toBeGreaterThanOrEqual(0)
      expect(at.y).toBeLessThanOrEqual(600)
    }
    // Every pixel of the view lies on exactly one tile.
    const covered = (x: number, y: number) => view.tiles.filter((t) => x >= t.left && x < t.left + TILE && y >= t.top && y < t.top + TILE).length
    for (const [x, y] of [[0, 0], [799, 0], [0, 599], [799, 599], [400, 300]] as const) expect(covered(x, y)).toBe(1)
    expect(view.tiles[0]!.url).toMatch(new RegExp(`^https://t.example/${view.zoom}/\\d+/\\d+$`))
  })
})
