// What the phone pages say when the server refuses something: the check-in's reasons in the
// volunteer's words (too far — by how many metres, outside the window, not signed up), and the
// sign-in's return path kept inside this site.

import type { ApiProblem } from '../api/errors'

export interface Refusal {
  text: string
  /** The field it belongs beside (`dynamic_code`), if any. */
  field?: string
}

/** The server's raw error body (the check-in's 422 carries `distance_m` and `radius_m`). */
export interface RawError {
  error?: { code?: string; field?: string; message?: string; distance_m?: number; radius_m?: number }
}

/** Why a check-in (or, with `out`, a check-out) was refused, in Chinese. */
export function checkinRefusal(status: number, body: RawError | null, out: boolean): Refusal {
  const e = body?.error ?? {}
  if (status === 0) return { text: '无法连接服务器，请检查网络后重试' }
  if (status === 401) return { text: '登录已失效，请重新登录' }
  if (status === 429) return { text: '尝试次数过多，请稍后再试' }
  if (status === 403) return { text: '您没有报名该活动，或报名尚未确认，不能签到' }
  if (status === 404) return { text: '没有这个活动码，请重新扫码' }
  if (e.code === 'outside_window') return { text: '现在不在签到时间内：活动开始前 30 分钟至活动结束时可以签到' }
  if (e.code === 'not_checked_in') return { text: '您还没有签到，不能签退' }
  if (e.field === 'dynamic_code') return { text: '动态签到码不正确或已过期，请输入现场大屏上当前显示的数字', field: 'dynamic_code' }
  if (e.field === 'location' && typeof e.distance_m === 'number' && typeof e.radius_m === 'number') {
    const over = e.distance_m - e.radius_m
    return { text: `您距活动地点 ${e.distance_m} 米，超出签到范围 ${over} 米（需在 ${e.radius_m} 米内），请到现场后再签到` }
  }
  if (e.field === 'location') return { text: '未获取到您的位置：请允许本页面使用位置信息后重试' + (out ? '' : '（签到需在活动现场）') }
  return { text: '操作未成功，请稍后再试' }
}

/** The page to go back to after signing in: a path on this site, else the phone app's home. */
export function safeReturn(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return '/m/'
  return value
}

/** The router location for a site path under `/m` (the router's base). */
export function inApp(path: string): string {
  if (path === '/m' || path === '/m/') return '/'
  return path.startsWith('/m/') ? path.slice(2) : '/'
}

/** Whether this page is open inside WeChat's own browser. */
export function inWeChat(userAgent: string): boolean {
  return /MicroMessenger/i.test(userAgent)
}

/** What the WeChat sign-in's `wechat_error` means, in Chinese. */
export function wechatError(code: string): string {
  switch (code) {
    case 'state_invalid':
      return '微信登录已过期或被打断，请重新进入本页'
    case 'code_invalid':
      return '微信授权未成功，请重试'
    case 'snapshot_user':
      return '请点击页面下方的“使用完整服务”后再登录'
    case 'wechat_unavailable':
      return '微信服务暂时不可用，请用手机验证码登录'
    default:
      return '微信登录未成功，请用手机验证码登录'
  }
}

/** The message for a refusal of a form's field, or of the form. */
export function fieldMessage(problem: ApiProblem, field: string): string {
  return problem.fields.find((f) => f.field === field)?.message ?? ''
}
