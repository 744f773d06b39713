// The order's states and ratings in the citizen's words (one place for the phone pages).

import type { components } from '../api/schema'

type Status = components['schemas']['DemandStatus']
type Rating = components['schemas']['Rating']

export const STATUS_TEXT: Record<Status, string> = {
  submitted: '已提交，待派单',
  dispatched: '已派单',
  open: '等待志愿队伍接单',
  accepted: '队伍已接单',
  in_service: '服务中',
  completed: '服务已完成，待您评价',
  forwarded: '已转交相关部门',
  replied: '部门已答复',
  rejected: '未受理',
  cancelled: '已取消',
  closed: '已办结',
}

export const RATING_TEXT: Record<Rating, string> = {
  very_satisfied: '非常满意',
  satisfied: '满意',
  basically_satisfied: '基本满意',
  dissatisfied: '不满意',
}

export const URGENCY_TEXT = { normal: '一般', urgent: '较急', critical: '紧急' } as const
