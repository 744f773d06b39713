// The Vant components the phone pages use, registered one by one with their own styles (no
// whole-library import), so the first page carries only what it shows.

import type { App } from 'vue'
import { Button, Cell, CellGroup, Empty, Field, Loading, NavBar, Radio, RadioGroup, Switch, Tag } from 'vant'
import 'vant/es/button/style/index'
import 'vant/es/cell/style/index'
import 'vant/es/cell-group/style/index'
import 'vant/es/empty/style/index'
import 'vant/es/field/style/index'
import 'vant/es/loading/style/index'
import 'vant/es/nav-bar/style/index'
import 'vant/es/radio/style/index'
import 'vant/es/radio-group/style/index'
import 'vant/es/switch/style/index'
import 'vant/es/tag/style/index'

export function useVant(app: App): void {
  for (const component of [Button, Cell, CellGroup, Empty, Field, Loading, NavBar, Radio, RadioGroup, Switch, Tag]) app.use(component)
}
