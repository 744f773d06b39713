// Chinese names of the activity, sign-up and attendance states the API sends.

export const ACTIVITY_STATUS: Record<string, { text: string; tag: 'info' | 'success' | 'danger' | 'warning' }> = {
  pending: { text: '待审核', tag: 'warning' },
  approved: { text: '已通过', tag: 'success' },
  rejected: { text: '已驳回', tag: 'danger' },
  cancelled: { text: '已取消', tag: 'info' },
}

export const SIGNUP_STATUS: Record<string, string> = {
  confirmed: '已报名',
  waitlisted: '候补',
  cancelled: '已取消',
}

export const ATTENDANCE_STATUS: Record<string, string> = {
  checked_in: '已签到',
  checked_out: '已签退',
  confirmed: '已确认',
}

export const ATTENDANCE_FLAGS: Record<string, string> = {
  auto_closed: '未签退（系统自动结束）',
  checked_out_outside_radius: '签退位置超出范围',
  late: '迟到',
  left_early: '早退',
  corrected: '时长已更正',
}

/** pending / approved / rejected: applications, self-reports, memberships. */
export const DECISION: Record<string, string> = {
  pending: '待审核',
  approved: '已通过',
  rejected: '已驳回',
}
