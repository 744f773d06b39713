import { describe, expect, test } from 'vitest'
import { surveyRefusal } from './surveyText'

describe('surveyRefusal', () => {
  test('the sentences a phone can provoke are said in Chinese', () => {
    expect(surveyRefusal('is required')).toBe('此题必答')
    expect(surveyRefusal('choose 1 to 2 options')).toBe('请选择 1–2 项')
    expect(surveyRefusal('must be from 1 to 120')).toBe('应在 1 至 120 之间')
    expect(surveyRefusal('must be on or before 2026-12-31')).toBe('应不晚于 2026-12-31')
    expect(surveyRefusal('must be at most 200 characters')).toBe('最多 200 个字')
    expect(surveyRefusal('is required: the station or point where you live')).toBe('请选择您所在的村（社区）')
  })

  test('anything else is shown as the server wrote it', () => {
    expect(surveyRefusal('`x` is not an option of this question')).toBe('`x` is not an option of this question')
  })
})
