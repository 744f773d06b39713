import { describe, expect, it } from 'vitest'
import { checkinLink, formatHours, formatTime } from './format'

describe('formatTime', () => {
  it('keeps the server\'s own clock time, to the minute', () => {
    expect(formatTime('2026-05-01T09:30:00+08:00')).toBe('2026-05-01 09:30')
    expect(formatTime(null)).toBe('—')
  })
})

describe('formatHours', () => {
  it('writes minutes as hours with at most two decimals', () => {
    expect(formatHours(45)).toBe('0.75 小时')
    expect(formatHours(50)).toBe('0.83 小时')
    expect(formatHours(undefined)).toBe('—')
  })
})

describe('checkinLink', () => {
  it('is an https address on the platform, never the API\'s private scheme', () => {
    expect(checkinLink('https://wm.example.cn', 'ABC234')).toBe('https://wm.example.cn/m/checkin?code=ABC234')
  })
})
