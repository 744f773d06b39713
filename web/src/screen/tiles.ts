// Slippy-map arithmetic for the screen's map panel: Web Mercator (EPSG:3857) in 256-pixel tiles,
// the scheme every XYZ tile service uses. The tiles come from the deployment's own service
// (setting `screen.tile_url`); nothing here knows a provider, and no map data ships with us.

export const TILE = 256
/** Web Mercator's latitude limit: the square world's top and bottom edges. */
const MAX_LAT = 85.05112878
/** Street level; a tile service may offer more, but a county's places never need it. */
export const MAX_ZOOM = 17
/** Margin (pixels) kept free around the places so edge markers and labels stay visible. */
const PAD = 48

export interface Place {
  latitude: number
  longitude: number
}

export interface Point {
  x: number
  y: number
}

/** A place's position in world pixels at `zoom` (0,0 is the north-west corner of the world). */
export function project(place: Place, zoom: number): Point {
  const size = TILE * 2 ** zoom
  const lat = Math.max(-MAX_LAT, Math.min(MAX_LAT, place.latitude))
  const sin = Math.sin((lat * Math.PI) / 180)
  return {
    x: ((place.longitude + 180) / 360) * size,
    y: (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI)) * size,
  }
}

/** The places that can be drawn: finite coordinates on the globe. */
export function located<T extends { latitude?: number | null; longitude?: number | null }>(items: readonly T[]): (T & Place)[] {
  return items.filter(
    (p): p is T & Place =>
      typeof p.latitude === 'number' &&
      typeof p.longitude === 'number' &&
      Math.abs(p.latitude) <= 90 &&
      Math.abs(p.longitude) <= 180,
  )
}

/** The largest zoom (up to [`MAX_ZOOM`]) at which every place fits a `width`×`height` view. */
export function fitZoom(places: readonly Place[], width: number, height: number): number {
  for (let zoom = MAX_ZOOM; zoom > 0; zoom--) {
    const points = places.map((p) => project(p, zoom))
    const spanX = Math.max(...points.map((p) => p.x)) - Math.min(...points.map((p) => p.x))
    const spanY = Math.max(...points.map((p) => p.y)) - Math.min(...points.map((p) => p.y))
    if (spanX <= width - 2 * PAD && spanY <= height - 2 * PAD) return zoom
  }
  return 0
}

export interface TileImage {
  key: string
  url: string
  /** Where the tile's top-left corner sits in the view (pixels). */
  left: number
  top: number
}

export interface View {
  zoom: number
  /** The world pixel at the view's top-left corner. */
  origin: Point
  tiles: TileImage[]
}

/** One tile's address from the template: `{z}`, `{x}`, `{y}` replaced. */
export function tileUrl(template: string, z: number, x: number, y: number): string {
  return template.replace('{z}', String(z)).replace('{x}', String(x)).replace('{y}', String(y))
}

/** The view that shows every place: zoom fitted to the bounds, centred on them, and the tiles
 * covering it (wrapping round the antimeridian; none above the pole or below). */
export function viewOf(places: readonly Place[], width: number, height: number, template: string): View {
  const zoom = fitZoom(places, width, height)
  const points = places.map((p) => project(p, zoom))
  const cx = (Math.min(...points.map((p) => p.x)) + Math.max(...points.map((p) => p.x))) / 2
  const cy = (Math.min(...points.map((p) => p.y)) + Math.max(...points.map((p) => p.y))) / 2
  const origin = { x: Math.round(cx - width / 2), y: Math.round(cy - height / 2) }
  const count = 2 ** zoom
  const tiles: TileImage[] = []
  for (let ty = Math.floor(origin.y / TILE); ty * TILE < origin.y + height; ty++) {
    if (ty < 0 || ty >= count) continue
    for (let tx = Math.floor(origin.x / TILE); tx * TILE < origin.x + width; tx++) {
      const x = ((tx % count) + count) % count
      tiles.push({ key: `${zoom}/${tx}/${ty}`, url: tileUrl(template, zoom, x, ty), left: tx * TILE - origin.x, top: ty * TILE - origin.y })
    }
  }
  return { zoom, origin, tiles }
}

/** Where a place sits in `view` (pixels from the view's top-left corner). */
export function placeIn(view: View, place: Place): Point {
  const p = project(place, view.zoom)
  return { x: Math.round(p.x - view.origin.x), y: Math.round(p.y - view.origin.y) }
}
