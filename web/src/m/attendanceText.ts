// An attendance (签到记录) in the volunteer's words, one place for the phone pages: whether it
// still waits for a check-out, for the organiser, or is counted — and a forgotten check-out
// (漏签退), which the server closed at the activity's end, said as such with what it means for
// the hours.

import type { components } from '../api/schema'
import { formatHours, formatTime } from '../format'

type Attendance = components['schemas']['MyAttendance']

export interface AttendanceState {
  /** The short label (a tag). */
  label: string
  tone: 'primary' | 'success' | 'warning' | 'default'
  /** What it means for the hours. */
  note: string
}

/** The state of one of the volunteer's attendances. */
export function attendanceState(a: Attendance): AttendanceState {
  const corrected = a.confirmed_minutes !== null && a.minutes !== null && a.confirmed_minutes !== a.minutes
  const correction = corrected && a.correction_reason ? `（组织者更正：${a.correction_reason}）` : ''
  if (a.status === 'checked_in') {
    return { label: '已签到，未签退', tone: 'primary', note: '活动结束前请在签到页面签退；忘记签退的，系统会在活动结束后按结束时间自动签退并标为漏签退。' }
  }
  if (a.auto_closed) {
    const end = formatTime(a.checked_out_at).slice(11)
    if (a.status === 'confirmed') {
      return { label: '漏签退', tone: 'warning', note: `您没有签退，系统按活动结束时间 ${end} 自动签退；组织者核实后确认 ${formatHours(a.confirmed_minutes)}，已计入服务时长${correction}。` }
    }
    return {
      label: '漏签退',
      tone: 'warning',
      note: `您没有签退，系统已按活动结束时间 ${end} 自动签退，暂计 ${formatHours(a.minutes)}；须由组织者核实确认后才计入服务时长，实际时长不同的由组织者更正。`,
    }
  }
  if (a.status === 'checked_out') {
    return { label: '待确认', tone: 'default', note: `本次 ${formatHours(a.minutes)}，待组织者确认后计入服务时长。` }
  }
  return { label: '已确认', tone: 'success', note: `已计入服务时长 ${formatHours(a.confirmed_minutes)}${correction}。` }
}
