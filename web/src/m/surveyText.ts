// The survey's refusals in Chinese, beside the question they concern. The server (the
// survey-model crate) explains in English; the few sentences a phone can provoke are said here in
// the respondent's words, and anything else is shown as the server wrote it.

const EXACT: Record<string, string> = {
  'is required': '此题必答',
  'is required: answer every row': '此行必答：请每行都选一项',
  'must be a number': '请填写数字',
  'must be a whole number': '请填写整数',
  'must not be blank (leave the question out instead)': '请填写内容',
  'answer at least one row (or leave the question out)': '请至少回答一行',
  'this question is not shown for your earlier answers': '按您前面的回答，此题无需作答',
  'must be a date written YYYY-MM-DD': '请选择日期',
  'is required: the station or point where you live': '请选择您所在的村（社区）',
  'give the station or point where you live': '请选择您所在的村（社区）或站点',
  'no such active org': '所选地点已停用，请重新选择',
  'is required: this survey takes one answer per household': '请填写户号（每户填写一次）',
}

const RANGE: [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^choose (\d+) to (\d+) options$/, (m) => `请选择 ${m[1]}–${m[2]} 项`],
  [/^must be at most (\d+) characters$/, (m) => `最多 ${m[1]} 个字`],
  [/^must be from (\S+) to (\S+)$/, (m) => `应在 ${m[1]} 至 ${m[2]} 之间`],
  [/^must be at least (\S+)$/, (m) => `应不小于 ${m[1]}`],
  [/^must be at most (\S+)$/, (m) => `应不大于 ${m[1]}`],
  [/^must be on or after (\S+)$/, (m) => `应不早于 ${m[1]}`],
  [/^must be on or before (\S+)$/, (m) => `应不晚于 ${m[1]}`],
  [/^must be a whole number from 1 to (\d+)$/, (m) => `请选择 1–${m[1]} 分`],
]

/** A survey refusal (the server's `message` for one field) as the phone page shows it. */
export function surveyRefusal(message: string): string {
  if (EXACT[message]) return EXACT[message]
  for (const [pattern, say] of RANGE) {
    const m = message.match(pattern)
    if (m) return say(m)
  }
  return message
}
