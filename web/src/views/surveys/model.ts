// The survey builder's model: what the page edits, and the questionnaire it sends
// (`SurveyDefinition` in openapi.yaml, docs/survey-api.md). Pure functions, tested in model.test.ts.

import type { components } from '../../api/schema'

export type Definition = components['schemas']['SurveyDefinition']
export type Question = components['schemas']['SurveyQuestion']
export type QuestionType = Question['type']

export const TYPE_NAMES: Record<QuestionType, string> = {
  single_choice: '单选题',
  multiple_choice: '多选题',
  short_text: '单行文本',
  long_text: '多行文本',
  number: '数字',
  rating: '评分',
  matrix: '矩阵题',
  date: '日期',
}

export const STATUS_NAMES: Record<string, string> = { draft: '草稿', published: '已发布', closed: '已结束' }
export const AUDIENCE_NAMES: Record<string, string> = { residents: '辖区居民', volunteers: '注册志愿者' }

export interface Choice {
  key: string
  label: string
}

/** One question as the builder edits it: every type's settings, sent only for its type. */
export interface DraftQuestion {
  uid: number
  key: string
  type: QuestionType
  title: string
  required: boolean
  /** Display condition: shown only when `question` (an earlier choice question) is answered with one of `anyOf`. */
  showIf: { question: string; anyOf: string[] } | null
  options: Choice[]
  minSelections: number | null
  maxSelections: number | null
  maxLength: number | null
  min: number | null
  max: number | null
  integer: boolean
  scale: 5 | 10
  rows: Choice[]
  columns: Choice[]
  minDate: string | null
  maxDate: string | null
}

export interface DraftSection {
  uid: number
  title: string
  description: string
  questions: DraftQuestion[]
}

export interface Draft {
  title: string
  description: string
  orgId: number | null
  audience: 'residents' | 'volunteers'
  anonymous: boolean
  onePer: 'person' | 'household'
  /** Wall-clock Beijing time `YYYY-MM-DDTHH:mm:ss` (the pickers' value). */
  opensAt: string
  closesAt: string
  sections: DraftSection[]
}

let uids = 0
const uid = () => ++uids

export const isChoice = (t: QuestionType) => t === 'single_choice' || t === 'multiple_choice'

/** A key not yet used among `taken`: `prefix1`, `prefix2`, … */
export function freshKey(prefix: string, taken: Iterable<string>): string {
  const used = new Set(taken)
  for (let i = 1; ; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`
}

export function allQuestions(d: Pick<Draft, 'sections'>): DraftQuestion[] {
  return d.sections.flatMap((s) => s.questions)
}

export function newQuestion(type: QuestionType, taken: Iterable<string>): DraftQuestion {
  return {
    uid: uid(),
    key: freshKey('q', taken),
    type,
    title: '',
    required: false,
    showIf: null,
    options: [
      { key: 'o1', label: '' },
      { key: 'o2', label: '' },
    ],
    minSelections: null,
    maxSelections: null,
    maxLength: null,
    min: null,
    max: null,
    integer: false,
    scale: 5,
    rows: [{ key: 'r1', label: '' }],
    columns: [
      { key: 'c1', label: '' },
      { key: 'c2', label: '' },
    ],
    minDate: null,
    maxDate: null,
  }
}

export function newSection(title = ''): DraftSection {
  return { uid: uid(), title, description: '', questions: [] }
}

export function emptyDraft(): Draft {
  return { title: '', description: '', orgId: null, audience: 'residents', anonymous: false, onePer: 'person', opensAt: '', closesAt: '', sections: [newSection('基本情况')] }
}

/** Earlier choice questions, which a question's display condition may refer to. */
export function conditionSources(d: Pick<Draft, 'sections'>, q: DraftQuestion): DraftQuestion[] {
  const all = allQuestions(d)
  return all.slice(0, all.indexOf(q)).filter((x) => isChoice(x.type))
}

/** A wall-clock Beijing time as RFC 3339 (`+08:00`), as the API takes times. */
export function beijing(wall: string): string {
  return wall ? `${wall}+08:00` : ''
}

/** The wall-clock Beijing time of an RFC 3339 instant (the pickers' value). */
export function wallClock(at: string): string {
  const d = new Date(new Date(at).getTime() + 8 * 3600_000)
  return d.toISOString().slice(0, 19)
}

function toQuestion(q: DraftQuestion): Question {
  const common = { key: q.key, title: q.title.trim(), required: q.required, show_if: q.showIf ? { question: q.showIf.question, any_of: q.showIf.anyOf } : null }
  switch (q.type) {
    case 'single_choice':
      return { ...common, type: q.type, options: q.options }
    case 'multiple_choice':
      return { ...common, type: q.type, options: q.options, min_selections: q.minSelections, max_selections: q.maxSelections }
    case 'short_text':
    case 'long_text':
      return { ...common, type: q.type, max_length: q.maxLength }
    case 'number':
      return { ...common, type: q.type, min: q.min, max: q.max, integer: q.integer }
    case 'rating':
      return { ...common, type: q.type, scale: q.scale }
    case 'matrix':
      return { ...common, type: q.type, rows: q.rows, columns: q.columns }
    case 'date':
      return { ...common, type: q.type, min_date: q.minDate, max_date: q.maxDate }
  }
}

/** The questionnaire the API takes (`POST /api/v1/surveys`, `PUT /api/v1/surveys/{id}`). */
export function toDefinition(d: Draft): Definition {
  return {
    title: d.title.trim(),
    description: d.description.trim() || null,
    org_id: d.orgId ?? 0,
    audience: d.audience,
    anonymous: d.anonymous,
    one_per: d.onePer,
    opens_at: beijing(d.opensAt),
    closes_at: beijing(d.closesAt),
    sections: d.sections.map((s) => ({ title: s.title.trim(), description: s.description.trim() || null, questions: s.questions.map(toQuestion) })),
  }
}

/** A stored survey back into the builder (editing a draft). */
export function fromSurvey(s: components['schemas']['Survey']): Draft {
  return {
    title: s.title,
    description: s.description,
    orgId: s.org_id,
    audience: s.audience,
    anonymous: s.anonymous,
    onePer: s.one_per,
    opensAt: wallClock(s.opens_at),
    closesAt: wallClock(s.closes_at),
    sections: s.sections.map((sec) => ({
      uid: uid(),
      title: sec.title,
      description: sec.description ?? '',
      questions: sec.questions.map((q) => {
        const d = newQuestion(q.type, [])
        const loose = q as Partial<Record<string, unknown>>
        Object.assign(d, {
          key: q.key,
          title: q.title,
          required: q.required ?? false,
          showIf: q.show_if ? { question: q.show_if.question, anyOf: [...q.show_if.any_of] } : null,
        })
        if ('options' in q) d.options = q.options.map((o) => ({ ...o }))
        if ('rows' in q) d.rows = q.rows.map((o) => ({ ...o }))
        if ('columns' in q) d.columns = q.columns.map((o) => ({ ...o }))
        d.minSelections = (loose.min_selections as number | null | undefined) ?? null
        d.maxSelections = (loose.max_selections as number | null | undefined) ?? null
        d.maxLength = (loose.max_length as number | null | undefined) ?? null
        d.min = (loose.min as number | null | undefined) ?? null
        d.max = (loose.max as number | null | undefined) ?? null
        d.integer = (loose.integer as boolean | null | undefined) ?? false
        d.scale = (loose.scale as 5 | 10 | undefined) ?? 5
        d.minDate = (loose.min_date as string | null | undefined) ?? null
        d.maxDate = (loose.max_date as string | null | undefined) ?? null
        return d
      }),
    })),
  }
}

/** The path the API names a question's field by: `sections[0].questions[2].options`. */
export function questionPath(d: Pick<Draft, 'sections'>, q: DraftQuestion, field?: string): string {
  const si = d.sections.findIndex((s) => s.questions.includes(q))
  const qi = d.sections[si]?.questions.indexOf(q) ?? -1
  return `sections[${si}].questions[${qi}]${field ? `.${field}` : ''}`
}
