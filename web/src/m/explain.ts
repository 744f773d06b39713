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

/** Why a self-report (自主申报) was refused, in Chinese, beside the field it concerns: the
 * server names the field and explains in English, so the reasons it gives are matched here. */
export function selfReportRefusal(status: number, code: string, field: string | undefined, detail: string): Refusal {
  if (status === 0) return { text: '无法连接服务器，请检查网络后重试' }
  if (status === 403) return { text: '只有已登记且未暂停的志愿者可以申报服务' }
  if (code === 'overlap') return { text: '这段时间与您已申报或已签到的服务重叠，同一时间不能重复计入', field: 'started_at' }
  if (field === 'ended_at') {
    if (/future/.test(detail)) return { text: '结束时间不能晚于现在：服务完成后再申报', field }
    if (/24 hours/.test(detail)) return { text: '一次申报最多 24 小时，较长的服务请按天分别申报', field }
    if (/too short/.test(detail)) return { text: '时长太短，按本县的计时规则不足以计入服务时长', field }
    return { text: '结束时间须晚于开始时间', field }
  }
  if (field === 'started_at') return { text: '请填写开始时间', field }
  if (field === 'title') return { text: '请填写服务内容（最多 100 字）', field }
  if (field === 'category') return { text: '请填写服务类别（最多 50 字）', field }
  if (field === 'description') return { text: '说明最多 2000 字', field }
  if (field === 'org_id') return { text: '您登记的站点已停用，请联系站点工作人员' }
  return { text: '提交未成功，请稍后再试' }
}
