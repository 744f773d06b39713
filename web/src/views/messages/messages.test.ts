import { describe, expect, test } from 'vitest'
import { paramsText, parseParams, STATUS_NAMES } from './messages'

describe('the messages page', () => {
  test('template parameters are split on commas of either width and spaces', () => {
    expect(parseParams('code, name，time  place')).toEqual(['code', 'name', 'time', 'place'])
    expect(parseParams('  ')).toEqual([])
  })

  test('message parameters are shown as name=value', () => {
    expect(paramsText({ code: '123456', n: 2 })).toBe('code=123456 · n=2')
    expect(paramsText(null)).toBe('')
    expect(paramsText(['a'])).toBe('')
  })

  test('every delivery state has a Chinese name', () => {
    expect(Object.keys(STATUS_NAMES)).toEqual(['queued', 'sending', 'sent', 'delivered', 'failed'])
  })
})
