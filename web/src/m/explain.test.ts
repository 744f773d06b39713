import { describe, expect, test } from 'vitest'
import { checkinRefusal, inApp, inWeChat, safeReturn, selfReportRefusal, wechatError } from './explain'

describe('check-in refusals', () => {
  test('too far says by how many metres', () => {
    const r = checkinRefusal(422, { error: { code: 'invalid', field: 'location', distance_m: 400, radius_m: 200 } }, false)
    expect(r.text).toBe('您距活动地点 400 米，超出签到范围 200 米（需在 200 米内），请到现场后再签到')
  })
  test('no position, not signed up, the rotating code beside its field', () => {
    expect(checkinRefusal(422, { error: { field: 'location' } }, false).text).toContain('未获取到您的位置')
    expect(checkinRefusal(403, null, false).text).toContain('没有报名')
    expect(checkinRefusal(422, { error: { field: 'dynamic_code' } }, false).field).toBe('dynamic_code')
    expect(checkinRefusal(409, { error: { code: 'outside_window' } }, false).text).toContain('不在签到时间内')
  })
})

describe('return paths', () => {
  test('only paths on this site', () => {
    expect(safeReturn('/m/checkin?code=ABC234')).toBe('/m/checkin?code=ABC234')
    expect(safeReturn('//evil.example')).toBe('/m/')
    expect(safeReturn('https://evil.example/')).toBe('/m/')
    expect(safeReturn(undefined)).toBe('/m/')
  })
  test('router locations under /m', () => {
    expect(inApp('/m/checkin?code=A')).toBe('/checkin?code=A')
    expect(inApp('/m/')).toBe('/')
    expect(inApp('/console/')).toBe('/')
  })
  test('WeChat is recognised and its errors explained', () => {
    expect(inWeChat('Mozilla/5.0 ... MicroMessenger/8.0.50')).toBe(true)
    expect(inWeChat('Mozilla/5.0 Chrome/120')).toBe(false)
    expect(wechatError('snapshot_user')).toContain('完整服务')
  })
})

describe('selfReportRefusal', () => {
  test('puts each of the server refusals beside its field in Chinese', () => {
    expect(selfReportRefusal(422, 'invalid', 'ended_at', 'must not be in the future: report service once it is done')).toEqual({
      text: '结束时间不能晚于现在：服务完成后再申报',
      field: 'ended_at',
    })
    expect(selfReportRefusal(422, 'invalid', 'ended_at', 'must be after started_at').text).toBe('结束时间须晚于开始时间')
    expect(selfReportRefusal(409, 'overlap', undefined, 'overlaps').field).toBe('started_at')
    expect(selfReportRefusal(422, 'invalid', 'title', 'is required').field).toBe('title')
    expect(selfReportRefusal(403, 'forbidden', undefined, '').field).toBeUndefined()
  })
})
