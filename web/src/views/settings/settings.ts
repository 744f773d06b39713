// The settings page's own logic, kept out of the component so Vitest checks it: settings grouped
// as the server orders them, and the hints shown beside each field.

import type { components } from '../../api/schema'

export type Setting = components['schemas']['Setting']

export interface SettingGroup {
  name: string
  label: string
  items: Setting[]
}

/** The settings in their groups, groups and settings in the server's order. */
export function groupSettings(items: readonly Setting[]): SettingGroup[] {
  const groups: SettingGroup[] = []
  for (const item of items) {
    let group = groups.find((g) => g.name === item.group)
    if (!group) {
      group = { name: item.group, label: item.group_label, items: [] }
      groups.push(group)
    }
    group.items.push(item)
  }
  return groups
}

/** Seconds as a person reads them: `7200` → `2 小时`, `90` → `1 分 30 秒`. */
export function humanSeconds(total: number): string {
  if (!Number.isFinite(total)) return ''
  if (total === 0) return '0 秒'
  const parts: string[] = []
  let rest = Math.trunc(total)
  for (const [size, name] of [
    [86_400, '天'],
    [3600, '小时'],
    [60, '分'],
    [1, '秒'],
  ] as const) {
    const n = Math.floor(rest / size)
    if (n > 0) parts.push(`${n} ${name}`)
    rest -= n * size
  }
  return parts.join(' ')
}

/** The hint beside a field: the range and unit of a number (with seconds spelled out), the
 * length of a text, the format of the structured ones; and the default. */
export function hint(s: Setting, draft: string): string {
  const parts: string[] = []
  if (s.type === 'integer' && s.min !== null && s.max !== null) {
    parts.push(`${s.min}–${s.max} ${s.unit ?? ''}`.trim())
    const n = Number(draft.trim())
    if (s.unit === '秒' && draft.trim() !== '' && Number.isInteger(n) && n >= 0) parts.push(`即 ${humanSeconds(n)}`)
  } else if (s.type === 'text' && s.max_chars !== null) {
    parts.push(`最多 ${s.max_chars} 个字`)
  } else if (s.type === 'rounding') {
    parts.push('格式 [[上限分钟, 计为分钟], ...]')
  } else if (s.type === 'thresholds') {
    parts.push('小时数，逗号分隔，严格递增')
  } else if (s.type === 'tile_url') {
    parts.push('https 地址，{z}、{x}、{y} 各一次；留空表示不用地图')
  }
  parts.push(`默认 ${s.default === '' ? '（空）' : s.default}`)
  return parts.join('；')
}
