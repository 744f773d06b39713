import { describe, expect, it } from 'vitest'
import { beijing, conditionSources, emptyDraft, freshKey, fromSurvey, newQuestion, questionPath, toDefinition, wallClock } from './model'

describe('the survey builder model', () => {
  it('gives each new question an unused key', () => {
    expect(freshKey('q', ['q1', 'q3'])).toBe('q2')
    expect(newQuestion('rating', ['q1']).key).toBe('q2')
  })

  it('sends each type only its own settings, with the display condition', () => {
    const d = emptyDraft()
    Object.assign(d, { title: ' 居民需求调查 ', orgId: 7, opensAt: '2026-12-01T08:00:00', closesAt: '2026-12-31T20:00:00' })
    const q1 = newQuestion('single_choice', [])
    Object.assign(q1, { title: '是否需要上门服务', options: [{ key: 'yes', label: '需要' }, { key: 'no', label: '不需要' }] })
    const q2 = newQuestion('rating', ['q1'])
    Object.assign(q2, { title: '满意度', scale: 10, required: true, showIf: { question: 'q1', anyOf: ['yes'] } })
    d.sections[0]!.questions.push(q1, q2)
    const def = toDefinition(d)
    expect(def.title).toBe('居民需求调查')
    expect(def.opens_at).toBe('2026-12-01T08:00:00+08:00')
    expect(def.sections[0]!.questions).toEqual([
      { key: 'q1', type: 'single_choice', title: '是否需要上门服务', required: false, show_if: null, options: [{ key: 'yes', label: '需要' }, { key: 'no', label: '不需要' }] },
      { key: 'q2', type: 'rating', title: '满意度', required: true, show_if: { question: 'q1', any_of: ['yes'] }, scale: 10 },
    ])
    expect(conditionSources(d, q2)).toEqual([q1])
    expect(conditionSources(d, q1)).toEqual([])
    expect(questionPath(d, q2, 'scale')).toBe('sections[0].questions[1].scale')
  })

  it('round-trips a stored survey and Beijing times', () => {
    expect(beijing('2026-12-01T08:00:00')).toBe('2026-12-01T08:00:00+08:00')
    expect(wallClock('2026-12-01T00:00:00Z')).toBe('2026-12-01T08:00:00')
    const d = fromSurvey({
      id: 1, title: 't', description: '', org: { id: 3, name: 'x', path: '/1/3/' }, org_id: 3, audience: 'volunteers', anonymous: true, one_per: 'household',
      opens_at: '2026-12-01T08:00:00+08:00', closes_at: '2026-12-02T08:00:00+08:00', status: 'draft', accepting: false, responses: 0,
      created_at: '', updated_at: '', published_at: null, closed_at: null,
      sections: [{ title: 's', description: null, questions: [{ key: 'm', type: 'matrix', title: 'M', required: true, show_if: null, rows: [{ key: 'a', label: 'A' }], columns: [{ key: 'x', label: 'X' }, { key: 'y', label: 'Y' }] }] }],
    })
    expect(d.opensAt).toBe('2026-12-01T08:00:00')
    expect(toDefinition(d).sections[0]!.questions[0]).toEqual({ key: 'm', type: 'matrix', title: 'M', required: true, show_if: null, rows: [{ key: 'a', label: 'A' }], columns: [{ key: 'x', label: 'X' }, { key: 'y', label: 'Y' }] })
  })
})
