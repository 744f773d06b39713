import { describe, expect, test } from 'vitest'
import { groupSettings, hint, humanSeconds, type Setting } from './settings'

function setting(over: Partial<Setting>): Setting {
  return {
    key: 'checkout.grace_s',
    group: 'hours',
    group_label: '签到与服务时长',
    label: '签退宽限时间',
    help: '',
    type: 'integer',
    min: 0,
    max: 604800,
    unit: '秒',
    max_chars: null,
    default: '7200',
    is_default: true,
    value: '7200',
    updated_at: null,
    ...over,
  }
}

describe('the settings page', () => {
  test('groups keep the server order', () => {
    const groups = groupSettings([
      setting({ key: 'county_name', group: 'basic', group_label: '基本信息' }),
      setting({ key: 'a' }),
      setting({ key: 'b', group: 'basic', group_label: '基本信息' }),
      setting({ key: 'c' }),
    ])
    expect(groups.map((g) => [g.label, g.items.map((i) => i.key)])).toEqual([
      ['基本信息', ['county_name', 'b']],
      ['签到与服务时长', ['a', 'c']],
    ])
  })

  test('seconds are spelled out', () => {
    expect(humanSeconds(7200)).toBe('2 小时')
    expect(humanSeconds(90)).toBe('1 分 30 秒')
    expect(humanSeconds(604800)).toBe('7 天')
    expect(humanSeconds(0)).toBe('0 秒')
  })

  test('hints give the range, the unit and the default', () => {
    expect(hint(setting({}), '600')).toBe('0–604800 秒；即 10 分；默认 7200')
    expect(hint(setting({}), 'abc')).toBe('0–604800 秒；默认 7200')
    expect(hint(setting({ type: 'text', min: null, max: null, unit: null, max_chars: 64, default: '中心' }), '')).toBe('最多 64 个字；默认 中心')
    expect(hint(setting({ type: 'thresholds', min: null, max: null, unit: null, default: '100,300' }), '')).toContain('严格递增')
  })
})
