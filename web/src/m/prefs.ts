// Large type and high contrast (for elderly users), remembered on this phone. They are classes on
// <html>; m.css scales Vant's own size variables, so every component follows.

import { reactive, watch } from 'vue'

const KEY = 'wenming-m-prefs'

function stored(): { large: boolean; contrast: boolean } {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) ?? '{}') as { large?: unknown; contrast?: unknown }
    return { large: value.large === true, contrast: value.contrast === true }
  } catch {
    return { large: false, contrast: false }
  }
}

export const prefs = reactive(stored())

function apply(): void {
  document.documentElement.classList.toggle('m-large', prefs.large)
  document.documentElement.classList.toggle('m-contrast', prefs.contrast)
}

apply()
watch(prefs, () => {
  apply()
  try {
    localStorage.setItem(KEY, JSON.stringify(prefs))
  } catch {
    // Private mode: the choice lasts for this page only.
  }
})
