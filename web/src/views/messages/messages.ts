// The 消息 page's own logic: the Chinese for the outbox's states and classes, and the template
// parameter list as staff type it.

export const STATUS_NAMES: Record<string, string> = {
  queued: '待发送',
  sending: '发送中',
  sent: '已发送',
  delivered: '已送达',
  failed: '发送失败',
}

export const STATUS_TAGS: Record<string, 'info' | 'warning' | 'success' | 'danger' | 'primary'> = {
  queued: 'info',
  sending: 'warning',
  sent: 'primary',
  delivered: 'success',
  failed: 'danger',
}

export const ERROR_CLASS_NAMES: Record<string, string> = {
  retry: '稍后重试',
  permanent: '永久失败',
  alert: '待人工处理',
  unknown: '结果未知（不重发）',
}

export const PROVIDER_NAMES: Record<string, string> = {
  tencent: '腾讯云短信',
  aliyun: '阿里云短信',
}

export const CHANNEL_NAMES: Record<string, string> = {
  sms: '短信',
  wechat: '微信',
}

/** `"code, name，time"` → `["code", "name", "time"]`: commas (either width) and spaces separate. */
export function parseParams(text: string): string[] {
  return text
    .split(/[,，\s]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '')
}

/** A message's parameters for the table: `code=123456 · name=张三`. */
export function paramsText(params: unknown): string {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return ''
  return Object.entries(params as Record<string, unknown>)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' · ')
}
