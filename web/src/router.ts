import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { can, loadMe, session } from './session'
import ConsoleLayout from './layout/ConsoleLayout.vue'
import SignIn from './views/SignIn.vue'
import HomePage from './views/HomePage.vue'
import OrgPage from './views/org/OrgPage.vue'
import NotFound from './views/NotFound.vue'
import SettingsPage from './views/settings/SettingsPage.vue'
import SetupPage from './views/setup/SetupPage.vue'
import MessagesPage from './views/messages/MessagesPage.vue'
import AuditPage from './views/settings/AuditPage.vue'

declare module 'vue-router' {
  interface RouteMeta {
    /** The identity action the page needs (as in menus.ts). */
    action?: string
    title?: string
    public?: boolean
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/sign-in', component: SignIn, meta: { public: true, title: '登录' } },
  { path: '/setup', component: SetupPage, meta: { public: true, title: '平台初始化' } },
  {
    path: '/',
    component: ConsoleLayout,
    children: [
      { path: '', component: HomePage, meta: { title: '工作台' } },
      { path: 'orgs', component: OrgPage, meta: { title: '组织架构', action: 'read-directory' } },
      { path: 'audit', component: AuditPage, meta: { title: '操作日志', action: 'read-audit' } },
      { path: 'messages', component: MessagesPage, meta: { title: '消息', action: 'read-outbox' } },
      { path: 'settings', component: SettingsPage, meta: { title: '系统设置', action: 'read-outbox' } },
      { path: ':rest(.*)*', component: NotFound, meta: { title: '页面不存在' } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory('/console/'), routes })

router.beforeEach(async (to) => {
  if (!session.checked) {
    try {
      await loadMe()
    } catch {
      // The server could not be asked; the sign-in page says so when it tries.
    }
  }
  if (to.meta.public) return session.me ? { path: '/' } : true
  if (!session.me) return { path: '/sign-in', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
  if (to.meta.action && !can(to.meta.action)) return { path: '/' }
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title ?? ''} · 文明实践管理后台`
})
