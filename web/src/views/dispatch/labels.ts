// Chinese names of the demand-order vocabulary (docs/demand-api.md), shared by the desks.

export const STATUS_NAMES: Record<string, string> = {
  submitted: '待派单',
  dispatched: '已派单',
  open: '抢单中',
  accepted: '已接单',
  in_service: '服务中',
  completed: '已完成',
  forwarded: '已转部门',
  replied: '部门已答复',
  rejected: '已驳回',
  cancelled: '已取消',
  closed: '已办结',
}

export const KIND_NAMES: Record<string, string> = { welfare: '公益服务', petition: '诉求', dispute: '矛盾纠纷' }

export const URGENCY_NAMES: Record<string, string> = { normal: '一般', urgent: '较急', critical: '紧急' }

export const PRIORITY_TAG: Record<number, 'info' | 'warning' | 'danger'> = { 1: 'info', 2: 'warning', 3: 'danger' }

export const NOTICE_STATUS: Record<string, string> = {
  queued: '排队中',
  sending: '发送中',
  sent: '已发送',
  delivered: '已送达',
  failed: '发送失败',
}

export const TEMPLATE_NAMES: Record<string, string> = {
  'order-dispatched': '派单通知',
  'order-accepted': '接单通知',
  'order-completed': '完成通知',
  'order-escalated': '超时升级通知',
  'order-replied': '部门答复通知',
  'order-received': '受理通知',
  'order-cancelled': '取消通知',
}

const RATING_NAMES: Record<string, string> = {
  very_satisfied: '非常满意',
  satisfied: '满意',
  basically_satisfied: '基本满意',
  dissatisfied: '不满意',
}

/** A timeline note in Chinese: the notes the system writes are fixed English phrases; what staff
 * and citizens typed (reasons, notes) is shown as they wrote it. */
export function timelineNote(note: string): string {
  if (note === 'escalated') return '超过接单时限，已升级至上级组织'
  if (note === 'ordered') return '群众点单'
  if (note === "ordered on the citizen's behalf") return '工作人员代群众点单'
  if (note.startsWith('auto-closed')) return '群众未评价，已自动办结'
  if (note.startsWith('assigned ')) return `分配队员：${note.slice('assigned '.length)}`
  if (note.startsWith('rated: ')) return `群众评价：${RATING_NAMES[note.slice('rated: '.length)] ?? note.slice(7)}`
  return note
}

export const ROLE_OF_ACTOR: Record<string, string> = {
  system: '系统',
  citizen: '群众',
  'centre-admin': '中心管理员',
  'institute-admin': '实践所管理员',
  'station-admin': '实践站管理员',
  'team-leader': '队长',
  'department-handler': '部门办理人',
  staff: '工作人员',
}

/** The facts behind a team suggestion (the API's score parts). */
export interface SuggestionFacts {
  team: { org_name: string }
  category_match: boolean
  tree_distance: number
  open_load: number
  rated: number
  satisfied: number
}

const DISTANCE_NAMES: Record<number, string> = { 3: '同一实践站', 2: '同一实践所', 1: '同一实践中心' }

/** The reason for a suggested team in Chinese, from the same facts the server's reason states. */
export function suggestionReason(s: SuggestionFacts, category: string): string {
  const serves = s.category_match ? `服务类别相符（${category}）` : `未登记「${category}」类别`
  const near = `${DISTANCE_NAMES[s.tree_distance] ?? '同一实践中心'}（${s.team.org_name}）`
  const load = s.open_load === 0 ? '当前无在办订单' : `在办 ${s.open_load} 单`
  const rating = s.rated === 0 ? '暂无评价' : `${s.rated} 单评价中满意 ${s.satisfied} 单`
  return `${serves}；${near}；${load}；${rating}`
}
