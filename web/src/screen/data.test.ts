import { describe, expect, test } from 'vitest'
import { count, heat, hours, rateText, tokenFromHash } from './data'

describe('the screen helpers', () => {
  test('take a 64-hex-digit token from the fragment and nothing else', () => {
    const token = 'a'.repeat(64)
    expect(tokenFromHash(`#${token}`)).toBe(token)
    expect(tokenFromHash(`#${token.toUpperCase()}`)).toBe(token)
    expect(tokenFromHash('#abc')).toBeNull()
    expect(tokenFromHash('')).toBeNull()
  })
  test('format figures as the screen shows them', () => {
    expect(hours(239)).toBe(3)
    expect(count(1234567)).toBe('1,234,567')
    expect(count(null)).toBe('—')
    expect(rateText(44.4, '%')).toBe('44.4%')
    expect(rateText(null, '%')).toBe('—')
  })
  test('grade heat in four steps against the largest', () => {
    expect([heat(0, 10), heat(1, 10), heat(5, 10), heat(10, 10), heat(3, 0)]).toEqual([0, 1, 2, 4, 0])
  })
})
