import { describe, expect, it } from 'vitest'
import type { components } from '../api/schema'
import { attendanceState } from './attendanceText'

type Attendance = components['schemas']['MyAttendance']

function attendance(over: Partial<Attendance>): Attendance {
  return {
    id: 1,
    activity_id: 2,
    volunteer_id: 3,
    status: 'checked_out',
    checked_in_at: '2026-12-06T09:00:00+08:00',
    check_in_distance_m: 20,
    checked_out_at: '2026-12-06T11:00:00+08:00',
    check_out_distance_m: null,
    auto_closed: false,
    minutes: 120,
    confirmed_minutes: null,
    correction_reason: null,
    confirmed_by: null,
    confirmed_at: null,
    flags: [],
    activity: { id: 2, title: '助老', starts_at: '2026-12-06T09:00:00+08:00', ends_at: '2026-12-06T11:00:00+08:00', address: '东街', org_name: '东街站' },
    ...over,
  }
}

describe('attendanceState', () => {
  it('says a forgotten check-out is 漏签退, closed at the end and waiting for the organiser', () => {
    const s = attendanceState(attendance({ auto_closed: true, flags: ['auto_closed'] }))
    expect(s.label).toBe('漏签退')
    expect(s.note).toBe('您没有签退，系统已按活动结束时间 11:00 自动签退，暂计 2 小时；须由组织者核实确认后才计入服务时长，实际时长不同的由组织者更正。')
  })

  it('keeps 漏签退 once confirmed, with the confirmed hours and the correction', () => {
    const s = attendanceState(
      attendance({ auto_closed: true, status: 'confirmed', confirmed_minutes: 90, correction_reason: '提前离开' }),
    )
    expect(s.label).toBe('漏签退')
    expect(s.note).toContain('确认 1.5 小时，已计入服务时长（组织者更正：提前离开）')
  })

  it('tells an open attendance, a checked-out one and a confirmed one apart', () => {
    expect(attendanceState(attendance({ status: 'checked_in', checked_out_at: null, minutes: null })).label).toBe('已签到，未签退')
    expect(attendanceState(attendance({})).note).toBe('本次 2 小时，待组织者确认后计入服务时长。')
    expect(attendanceState(attendance({ status: 'confirmed', confirmed_minutes: 120 })).note).toBe('已计入服务时长 2 小时。')
  })
})
