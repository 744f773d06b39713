import { describe, expect, it } from 'vitest'
import { suggestionReason, timelineNote } from './labels'

describe('suggestionReason', () => {
  it('states the category, the distance in the tree, the load and the ratings in Chinese', () => {
    const s = { team: { org_name: '东关社区新时代文明实践站' }, category_match: true, tree_distance: 3, open_load: 0, rated: 5, satisfied: 4 }
    expect(suggestionReason(s, '便民服务')).toBe('服务类别相符（便民服务）；同一实践站（东关社区新时代文明实践站）；当前无在办订单；5 单评价中满意 4 单')
  })

  it('says when a team does not list the category, is further away, busy and unrated', () => {
    const s = { team: { org_name: '示范县新时代文明实践中心' }, category_match: false, tree_distance: 1, open_load: 2, rated: 0, satisfied: 0 }
    expect(suggestionReason(s, '助老')).toBe('未登记「助老」类别；同一实践中心（示范县新时代文明实践中心）；在办 2 单；暂无评价')
  })
})

describe('timelineNote', () => {
  it('puts the notes the system writes into Chinese and keeps what people typed', () => {
    expect(timelineNote("ordered on the citizen's behalf")).toBe('工作人员代群众点单')
    expect(timelineNote('assigned WM2026000001, WM2026000002')).toBe('分配队员：WM2026000001, WM2026000002')
    expect(timelineNote('rated: very_satisfied')).toBe('群众评价：非常满意')
    expect(timelineNote('请今天内联系群众')).toBe('请今天内联系群众')
  })
})
