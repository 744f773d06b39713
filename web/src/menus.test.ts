import { describe, expect, it } from 'vitest'
import { CHILD_LEVEL, menusFor, rolesAt } from './menus'

describe('menusFor', () => {
  it('shows the org tree only to those who may read the directory', () => {
    expect(menusFor(['read-directory', 'manage-orgs']).map((m) => m.title)).toEqual(['工作台', '组织架构'])
    expect(menusFor([]).map((m) => m.title)).toEqual(['工作台'])
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
})
