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
