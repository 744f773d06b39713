// Distances on the phone for "near me" (the server measures check-ins itself; this only orders a
// list): the great-circle distance in metres.

export function metresBetween(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180
  const dLat = (b.latitude - a.latitude) * rad
  const dLon = (b.longitude - a.longitude) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2
  return Math.round(2 * 6_371_008.8 * Math.asin(Math.sqrt(h)))
}

/** "1.2 公里" or "350 米". */
export function formatDistance(m: number): string {
  return m >= 1000 ? `${Math.round(m / 100) / 10} 公里` : `${m} 米`
}

/** The phone's position, or null when the person or the browser declines. */
export function currentPosition(): Promise<{ latitude: number; longitude: number } | null> {
  return new Promise((resolve) => {
    if (!navigator.geolocation) return resolve(null)
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude }),
      () => resolve(null),
      // A fresh reading: a cached one from before the walk to the venue would be refused.
      { enableHighAccuracy: true, timeout: 15_000, maximumAge: 0 },
    )
  })
}
