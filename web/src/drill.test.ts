import { describe, expect, it } from 'vitest'
import { drillLinks, nextDay, queryDay, queryId, queryPeriod, queryStage, startedIn } from './drill'

describe('drill-down addresses', () => {
  it('reads ids and real days from the query and ignores anything else', () => {
    expect(queryId({ org: '12' }, 'org')).toBe(12)
    for (const bad of ['0', '-1', '1.5', 'x', '', '0012']) expect(queryId({ org: bad }, 'org')).toBeUndefined()
    expect(queryId({ org: ['1', '2'] }, 'org')).toBeUndefined()
    expect(queryDay({ from: '2026-02-28' }, 'from')).toBe('2026-02-28')
    expect(queryDay({ from: '2026-02-30' }, 'from')).toBeUndefined()
    expect(queryPeriod({ from: '2026-03-01', to: '2026-03-30' })).toEqual({ from: '2026-03-01', to: '2026-03-30' })
    expect(queryPeriod({ from: '2026-03-02', to: '2026-03-01' })).toBeUndefined()
  })

  it('turns a period of Shanghai days into the half-open start window the statistics count', () => {
    expect(nextDay('2026-12-31')).toBe('2027-01-01')
    expect(nextDay('2028-02-28')).toBe('2028-02-29')
    expect(startedIn({ from: '2026-11-07', to: '2026-12-06' })).toEqual({
      started_from: '2026-11-07T00:00:00+08:00',
      to: '2026-12-07T00:00:00+08:00',
    })
  })

  it('links each figure to its list with the filters it was counted with', () => {
    const links = drillLinks(7, { from: '2026-11-07', to: '2026-12-06' })
    expect(links.teams).toEqual({ path: '/teams', query: { org: '7', active: '1' } })
    expect(links.activities.query).toEqual({ org: '7', status: 'approved', from: '2026-11-07', to: '2026-12-06' })
    expect(links.home(9)).toEqual({ path: '/', query: { org: '9' } })
    expect(links.orders('accepted')).toEqual({ path: '/orders', query: { org: '7', from: '2026-11-07', to: '2026-12-06', stage: 'accepted' } })
  })

  it('reads a funnel stage, every order when it is missing or unknown', () => {
    expect(queryStage({ stage: 'rated' })).toBe('rated')
    expect(queryStage({ stage: 'paid' })).toBe('ordered')
    expect(queryStage({})).toBe('ordered')
  })
})
