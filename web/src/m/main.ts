import { createApp } from 'vue'
import './m.css'
import App from './App.vue'
import { router } from './router'
import { useVant } from './vant'
import './prefs'
import { onSessionExpired } from '../api/client'
import { markExpired } from '../session'

// A request that finds the session gone sends the person to sign in, back here afterwards.
onSessionExpired(() => {
  markExpired()
  const here = router.currentRoute.value
  if (!here.meta.public) void router.push({ path: '/sign-in', query: { return: `/m${here.fullPath}` } })
})

const app = createApp(App)
useVant(app)
app.use(router).mount('#app')
