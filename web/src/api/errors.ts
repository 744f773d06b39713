// The server's one error shape ({"error": {code, message, field?, fields?}}) as the console
// shows it: a Chinese sentence, and the field it concerns so a form can put it beside that field.

export interface FieldProblem {
  field: string
  message: string
}

export interface ApiProblem {
  /** HTTP status; 0 when the server could not be reached. */
  status: number
  code: string
  /** The server's own message (English, for logs and details). */
  detail: string
  /** What the console shows (Chinese). */
  message: string
  /** Every field the server named (422). */
  fields: FieldProblem[]
  /** Seconds to wait (429). */
  retryAfter?: number
}

/** Thrown by the API client for any answer that is not a success. */
export class ApiFailure extends Error {
  readonly problem: ApiProblem
  constructor(problem: ApiProblem) {
    super(problem.message)
    this.name = 'ApiFailure'
    this.problem = problem
  }
}

/** Chinese for the codes the server sends; the server's message is kept as the detail. */
const CODE_MESSAGES: Record<string, string> = {
  unauthenticated: '登录已失效，请重新登录',
  forbidden: '没有权限进行此操作',
  not_found: '找不到该记录，可能已被删除或不在您的管理范围内',
  malformed: '请求格式有误',
  invalid: '填写的内容有误',
  throttled: '操作过于频繁，请稍后再试',
  too_large: '提交的内容过大',
  internal: '服务器出错了，请稍后再试',
  network: '无法连接服务器，请检查网络后重试',
  csrf_token_missing: '页面已过期，请刷新后重试',
  csrf_token_invalid: '页面已过期，请刷新后重试',
  name_taken: '同一上级下已有同名的组织',
  phone_taken: '该手机号已被其他账号使用',
  wrong_state: '当前状态下不能进行此操作',
  last_admin: '不能移除最后一位中心管理员',
  already_granted: '该账号已有此角色',
  duplicate: '重复提交',
  already_confirmed: '该签到记录已按其他时长确认过',
  signup_closed: '报名已截止',
  id_number_taken: '该身份证号已登记为志愿者',
  kind: '该类型的诉求不能这样处理',
  not_accepting: '问卷当前不在收集期内',
  already_answered: '已经填写过该问卷',
  outside_audience: '不在问卷的调查范围内',
  own_nomination: '不能审核自己提名的荣誉，请由其他工作人员审核',
  own_star: '不能确认自己的星级',
  notice_period: '公示期尚未结束，不能确认',
  below_threshold: '服务时长已低于该星级门槛，不能确认',
  out_of_stock: '库存不足',
  insufficient_points: '积分不足',
  not_available: '该礼遇当前不可兑换',
  own_org: '不能评估本级组织，应由上级评估',
  already_evaluated: '本期已评估过该组织',
  already_registered: '该账号已登记为本方案的测评人',
  wrong_kind: '该类方案不能这样操作',
  not_a_rater: '您不是本方案登记的测评人',
  read_only: '督查员不参与评价',
  already_rated: '已经评价过',
  already_handler: '该账号已是本部门的办理人',
}

/** Chinese names of the fields the console's forms send. */
const FIELD_LABELS: Record<string, string> = {
  phone: '手机号',
  password: '密码',
  name: '名称',
  level: '层级',
  parent_id: '上级组织',
  role: '角色',
  org_id: '组织',
  current_password: '当前密码',
  new_password: '新密码',
  real_name: '姓名',
  gender: '性别',
  birth_date: '出生日期',
  id_number: '身份证号',
  home_org_id: '所属组织',
  skills: '技能',
  service_area: '服务区域',
  reason: '理由',
  minutes: '时长',
  team_id: '服务队伍',
  team_ids: '抢单队伍',
  department_id: '职能部门',
  note: '备注',
  summary: '结项说明',
  volunteers: '服务志愿者',
  volunteer_ids: '服务志愿者',
  volunteer_id: '志愿者',
  reply: '答复',
  title: '标题',
  closes_at: '截止时间',
  opens_at: '开始时间',
  sections: '问卷内容',
  pickup_code: '取货码',
  points_price: '所需积分',
  stock: '库存',
  min_star: '最低星级',
  period: '期次',
  description: '说明',
  address: '地址',
  latitude: '纬度',
  longitude: '经度',
  population: '常住人口',
  label: '名称',

  scheme_id: '评估方案',
  centre_id: '实践中心',
  kind: '类型',
  target_level: '评估对象',
  items: '评估项目',
  groups: '测评群体',
  scores: '评分',
  comment: '评语',
  group: '测评群体',
  grade: '等次',
  account_id: '账号',
}

/** A resident ID the server refused (check character, or not agreeing with the birth date and
 * gender): the server explains in English; beside the field the pages say it in Chinese. */
export const ID_NUMBER_REFUSAL = '身份证号无效：请核对校验位，以及其中的出生日期、性别是否与所填一致'

export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? field
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined
}

/** The problem behind an answer with `status` and (parsed JSON, or anything) `body`. */
export function toProblem(status: number, body: unknown, retryAfterHeader?: string | null): ApiProblem {
  const error = asRecord(asRecord(body)?.error)
  const code = typeof error?.code === 'string' ? error.code : fallbackCode(status)
  const detail = typeof error?.message === 'string' ? error.message : ''
  const fields: FieldProblem[] = []
  if (Array.isArray(error?.fields)) {
    for (const f of error.fields) {
      const r = asRecord(f)
      if (typeof r?.field === 'string') fields.push({ field: r.field, message: String(r.message ?? '') })
    }
  } else if (typeof error?.field === 'string') {
    fields.push({ field: error.field, message: detail })
  }
  const retryAfter = retryAfterHeader ? Number.parseInt(retryAfterHeader, 10) : undefined
  const problem: ApiProblem = { status, code, detail, message: '', fields }
  if (retryAfter !== undefined && Number.isFinite(retryAfter)) problem.retryAfter = retryAfter
  problem.message = describe(problem)
  return problem
}

function fallbackCode(status: number): string {
  if (status === 0) return 'network'
  if (status === 401) return 'unauthenticated'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 422) return 'invalid'
  if (status === 429) return 'throttled'
  return 'internal'
}

/** The sentence the console shows for a problem. */
export function describe(problem: Pick<ApiProblem, 'code' | 'fields' | 'retryAfter' | 'status'>): string {
  if (problem.code === 'invalid' && problem.fields.length > 0) {
    const first = problem.fields[0]!
    return `${fieldLabel(first.field)}填写有误：${first.message}`
  }
  if (problem.code === 'throttled' && problem.retryAfter) {
    return `操作过于频繁，请在${waitText(problem.retryAfter)}后再试`
  }
  return CODE_MESSAGES[problem.code] ?? (problem.status >= 500 ? CODE_MESSAGES.internal! : '操作未成功')
}

/** "15 分钟", "30 秒": a wait in words. */
export function waitText(seconds: number): string {
  if (seconds >= 60) return `${Math.ceil(seconds / 60)} 分钟`
  return `${Math.max(1, seconds)} 秒`
}

/** The message for one field, when the problem names it (shown beside that field). */
export function fieldError(problem: ApiProblem | undefined, field: string): string {
  const f = problem?.fields.find((p) => p.field === field)
  return f ? `${fieldLabel(f.field)}填写有误：${f.message}` : ''
}

/** The server's message for exactly this field path (`items[2].weight`, `scores.venue`) in
 * Chinese, without the field's name: for inputs inside a list, where the place says which. */
export function fieldDetail(problem: ApiProblem | undefined, path: string): string {
  const f = problem?.fields.find((x) => x.field === path)
  return f ? zhDetail(f.message) : ''
}

/** The problem behind anything a request threw (an `ApiFailure`, or a bug shown plainly). */
export function problemOf(e: unknown, message = '出错了，请稍后再试'): ApiProblem {
  if (e instanceof ApiFailure) return e.problem
  return { status: 0, code: 'internal', detail: String(e), message, fields: [] }
}

/** Shanghai wall-clock time of an RFC 3339 instant, as the console shows times ("2026-12-06 09:30"). */
export function shanghaiTime(at: string | null | undefined): string {
  if (!at) return '—'
  const d = new Date(at)
  if (Number.isNaN(d.getTime())) return at
  const parts = new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).formatToParts(d)
  const p = (t: string) => parts.find((x) => x.type === t)?.value ?? ''
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}`
}

/** The server's validation phrases (kit's `Fields`, survey-model) in Chinese; anything else kept as sent. */
const DETAIL_PATTERNS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^must not be blank/, () => '不能为空'],
  [/^is required/, () => '必须填写'],
  [/^must be at most (\d+) characters/, (m) => `最多 ${m[1]} 个字`],
  [/^must be (\d+) to (\d+) characters/, (m) => `应为 ${m[1]} 到 ${m[2]} 个字`],
  [/^must be 1 to 40 characters of letters/, () => '编码应为 1 到 40 个字母、数字、_ 或 -'],
  [/^must have (\d+) to (\d+) entries/, (m) => `应有 ${m[1]} 到 ${m[2]} 项`],
  [/^must be an array of (\d+) to (\d+)/, (m) => `应有 ${m[1]} 到 ${m[2]} 项`],
  [/^must not be below (min_selections|min|min_date)/, () => '不能小于下限'],
  [/^must name an earlier choice question|^not an earlier question|^not a choice question/, () => '显示条件只能引用前面的选择题'],
  [/^not an option/, () => '不是该题的选项'],
  [/^must be a whole number from (\d+) to (\d+)/, (m) => `应为 ${m[1]} 到 ${m[2]} 的整数`],
  [/^must be a date written YYYY-MM-DD/, () => '应为日期（年-月-日）'],
  [/^must be a positive integer id/, () => '请选择一项'],
  [/^must be before closes_at|must be after opens_at|^must be later than/, () => '截止时间应晚于开始时间'],
  [/in the past|must be in the future/, () => '应是将来的时间'],
  [/^must be 1-40 characters of A-Z/, () => '编码应为 1 到 40 个字母、数字、_ 或 -'],
  [/^must be 1-200 characters/, () => '应为 1 到 200 个字'],
  [/^is used twice/, () => '编码重复'],
  [/^the weights must sum to 100, not (-?\d+)/, (m) => `权重合计应为 100（现为 ${m[1]}）`],
  [/^must be a number from 0 to (\d+) with at most two decimals/, (m) => `应为 0 到 ${m[1]} 的数，最多两位小数`],
  [/requires evidence references/, () => '该项须填写佐证材料'],
  [/^is required: every item of the scheme is scored/, () => '每一项都要评分'],
  [/^must be a list of at most 20 references/, () => '最多 20 条，每条 1 到 300 个字'],
]

export function zhDetail(message: string): string {
  for (const [re, say] of DETAIL_PATTERNS) {
    const m = re.exec(message)
    if (m) return say(m)
  }
  return message
}
