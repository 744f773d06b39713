import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'
import './styles.css'
import App from './App.vue'
import { router } from './router'
import { onSessionExpired } from './api/client'
import { markExpired } from './session'

// A request that finds the session gone (expired, signed out elsewhere) sends the person to sign
// in again, back to where they were afterwards.
onSessionExpired(() => {
  markExpired()
  const here = router.currentRoute.value
  if (!here.meta.public) void router.push({ path: '/sign-in', query: { next: here.fullPath } })
})

createApp(App).use(ElementPlus, { locale: zhCn }).use(router).mount('#app')
