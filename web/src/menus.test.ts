import { describe, expect, it } from 'vitest'
import { CHILD_LEVEL, menusFor, rolesAt } from './menus'

describe('menusFor', () => {
  it('shows the org tree only to those who may read the directory', () => {
    expect(menusFor(['read-directory', 'manage-orgs']).map((m) => m.title)).toEqual(['工作台', '组织架构'])
    expect(menusFor([]).map((m) => m.title)).toEqual(['工作台'])
  })

  it('shows the volunteer and activity pages by the action each needs', () => {
    expect(menusFor(['read-volunteers']).map((m) => m.title)).toEqual(['工作台', '志愿者'])
    expect(menusFor(['read-volunteers', 'manage-teams', 'review-organisations', 'manage-volunteers']).map((m) => m.title)).toEqual([
      '工作台',
      '志愿者',
      '服务队伍',
      '组织入驻',
      '活动管理',
      '自主申报',
    ])
  })

  it('shows the dispatch desk to dispatchers and the team desk to team leaders only', () => {
    expect(menusFor(['dispatch-orders']).map((m) => m.title)).toContain('点单派单')
    expect(menusFor(['read-directory', 'read-volunteers']).map((m) => m.title)).not.toContain('队伍接单')
    expect(menusFor(['read-directory', 'read-volunteers'], ['team-leader']).map((m) => m.title)).toContain('队伍接单')
    expect(menusFor(['handle-department-items']).map((m) => m.title)).toContain('部门办理')
  })

  it('shows the settings to the centre admins only (read-outbox is theirs alone)', () => {
    expect(menusFor(['read-directory', 'read-outbox']).map((m) => m.title)).toContain('系统设置')
    expect(menusFor(['read-directory', 'manage-orgs']).map((m) => m.title)).not.toContain('系统设置')
  })
})

describe('CHILD_LEVEL', () => {
  it('goes one level down the tree and stops at a point', () => {
    expect(CHILD_LEVEL.institute).toBe('station')
    expect(CHILD_LEVEL.point).toBeUndefined()
  })
})

describe('rolesAt', () => {
  it('offers an admin role only at its own level', () => {
    expect(rolesAt('station')).toEqual(['station-admin', 'team-leader', 'auditor'])
    expect(rolesAt('point')).toEqual(['team-leader', 'auditor'])
  })

  it('shows 成效评估 to whoever may read evaluations', () => {
    expect(menusFor(['read-evaluations']).map((m) => m.title)).toEqual(['工作台', '成效评估'])
    expect(menusFor(['read-directory']).map((m) => m.title)).not.toContain('成效评估')
  })
})
