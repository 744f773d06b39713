// How the console writes the server's values: times in the county's zone (the server sends
// RFC 3339 with +08:00), minutes as hours.

/** "2026-12-06 09:30" from an RFC 3339 time the server sent (its own offset kept). */
export function formatTime(value: string | null | undefined): string {
  if (!value) return '—'
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(value)
  return m ? `${m[1]} ${m[2]}` : value
}

/** "2.5 小时" from minutes. */
export function formatHours(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined) return '—'
  return `${Math.round((minutes / 60) * 100) / 100} 小时`
}

/** The https address a phone opens for an activity code (the QR code's content): the phone
 * app's check-in page with the code, on the origin the console itself was served from (WeChat's
 * scanner opens https links, never `wenming://`). */
export function checkinLink(origin: string, code: string): string {
  return `${origin}/m/checkin?code=${encodeURIComponent(code)}`
}
