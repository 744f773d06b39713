// The sidebar: one entry per console page, shown to whoever's roles allow the entry's action
// somewhere (the list of allowed actions is identity's answer, from `GET /api/v1/me`). A page
// added later is one line here and one route in router.ts.

export interface MenuItem {
  /** Route path under /console. */
  path: string
  title: string
  /** The identity action the page needs; absent = every signed-in staff member. */
  action?: string
  /** Or: shown to holders of one of these roles (pages for a role no action singles out, e.g. 队长). */
  roles?: readonly string[]
}

export const MENUS: readonly MenuItem[] = [
  { path: '/', title: '工作台' },
  { path: '/orgs', title: '组织架构', action: 'read-directory' },
  { path: '/volunteers', title: '志愿者', action: 'read-volunteers' },
  { path: '/teams', title: '服务队伍', action: 'manage-teams' },
  { path: '/organisations', title: '组织入驻', action: 'review-organisations' },
  { path: '/activities', title: '活动管理', action: 'manage-teams' },
  { path: '/self-reports', title: '自主申报', action: 'manage-volunteers' },
  { path: '/dispatch', title: '点单派单', action: 'dispatch-orders' },
  { path: '/team-desk', title: '队伍接单', roles: ['team-leader'] },
  { path: '/department-desk', title: '部门办理', action: 'handle-department-items' },
  { path: '/surveys', title: '需求调查', action: 'read-survey-results' },
  { path: '/evaluation', title: '成效评估', action: 'read-evaluations' },
  { path: '/rewards', title: '礼遇', action: 'manage-rewards' },
  // The deployment's settings are the centre admins'; read-outbox is the action only they hold
  // (the API itself asks for manage-orgs at the centre).
  { path: '/audit', title: '操作日志', action: 'read-audit' },
  { path: '/messages', title: '消息', action: 'read-outbox' },
  { path: '/settings', title: '系统设置', action: 'read-outbox' },
]

/** The entries the holder of `actions` sees, in order. */
export function menusFor(actions: readonly string[], roles: readonly string[] = []): MenuItem[] {
  return MENUS.filter((m) => (m.roles ? m.roles.some((r) => roles.includes(r)) : !m.action || actions.includes(m.action)))
}

/** Chinese names of the roles. */
export const ROLE_NAMES: Record<string, string> = {
  'centre-admin': '中心管理员',
  'institute-admin': '实践所管理员',
  'station-admin': '实践站管理员',
  'team-leader': '队长',
  volunteer: '志愿者',
  citizen: '群众',
  'department-handler': '部门办理人',
  auditor: '督查员',
}

/** Chinese names of the org levels, and the level each one's children have. */
export const LEVEL_NAMES: Record<string, string> = {
  city: '市级',
  centre: '实践中心',
  institute: '实践所',
  station: '实践站',
  point: '实践点',
}

export const CHILD_LEVEL: Record<string, 'centre' | 'institute' | 'station' | 'point' | undefined> = {
  city: 'centre',
  centre: 'institute',
  institute: 'station',
  station: 'point',
  point: undefined,
}

/** The roles the console offers to grant at an org of `level`: its level's admin role (the API
 * allows admin roles only at their own level) and the roles held anywhere. */
export function rolesAt(level: string): ('centre-admin' | 'institute-admin' | 'station-admin' | 'team-leader' | 'auditor')[] {
  const admin = ({ centre: 'centre-admin', institute: 'institute-admin', station: 'station-admin' } as const)[level as 'centre']
  return [...(admin ? [admin] : []), 'team-leader', 'auditor']
}
