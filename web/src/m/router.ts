// The phone app's pages under /m/. The first page (home, sign-in, check-in) is in the main
// bundle; every other page is loaded when first opened, so a slow network gets the first page
// quickly.

import { createRouter, createWebHistory } from 'vue-router'
import { loadMe, session } from '../session'
import HomePage from './views/HomePage.vue'
import SignIn from './views/SignIn.vue'
import CheckIn from './views/CheckIn.vue'

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
    public?: boolean
  }
}

export const router = createRouter({
  history: createWebHistory('/m/'),
  routes: [
    { path: '/', component: HomePage, meta: { title: '文明实践' } },
    { path: '/sign-in', component: SignIn, meta: { title: '登录', public: true } },
    { path: '/bind', component: () => import('./views/BindPage.vue'), meta: { title: '绑定微信', public: true } },
    { path: '/checkin', component: CheckIn, meta: { title: '活动签到' } },
    { path: '/activities', component: () => import('./views/ActivityList.vue'), meta: { title: '活动报名' } },
    { path: '/activities/:id(\\d+)', component: () => import('./views/ActivityDetail.vue'), props: true, meta: { title: '活动详情' } },
    { path: '/register', component: () => import('./views/RegisterPage.vue'), meta: { title: '志愿者登记' } },
    { path: '/record', component: () => import('./views/MyRecord.vue'), meta: { title: '我的服务记录' } },
    { path: '/attendances', component: () => import('./views/MyAttendances.vue'), meta: { title: '我的签到' } },
    { path: '/teams', component: () => import('./views/JoinTeam.vue'), meta: { title: '加入队伍' } },
    { path: '/self-reports', component: () => import('./views/SelfReports.vue'), meta: { title: '自主申报' } },
    { path: '/order', component: () => import('./views/OrderForm.vue'), meta: { title: '服务点单' } },
    { path: '/orders', component: () => import('./views/MyOrders.vue'), meta: { title: '我的点单' } },
    { path: '/orders/:id(\\d+)', component: () => import('./views/OrderDetail.vue'), props: true, meta: { title: '点单详情' } },
    { path: '/rewards', component: () => import('./views/RewardsPage.vue'), meta: { title: '积分兑换' } },
    { path: '/redemptions', component: () => import('./views/MyRedemptions.vue'), meta: { title: '我的兑换' } },
    { path: '/surveys/:id(\\d+)', component: () => import('./views/SurveyPage.vue'), props: true, meta: { title: '需求调查', public: true } },
    { path: '/ratings', component: () => import('./views/MyRatings.vue'), meta: { title: '我的评价' } },
    { path: '/ratings/:subject(activity|project)/:id(\\d+)', component: () => import('./views/RatePage.vue'), props: true, meta: { title: '评价' } },
    { path: '/notices', component: () => import('./views/NoticesPage.vue'), meta: { title: '公示', public: true } },

    { path: '/notify', component: () => import('./views/NotifySettings.vue'), meta: { title: '通知设置' } },
    { path: '/team', component: () => import('./views/TeamDesk.vue'), meta: { title: '队伍接单' } },
    { path: '/team/orders/:id(\\d+)', component: () => import('./views/TeamOrder.vue'), props: true, meta: { title: '队伍订单' } },
    { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue'), meta: { title: '页面不存在', public: true } },
  ],
})

router.beforeEach(async (to) => {
  if (!session.checked) {
    try {
      await loadMe()
    } catch {
      // The server could not be reached: the page itself shows the error when it asks.
    }
  }
  if (!to.meta.public && !session.me) return { path: '/sign-in', query: { return: `/m${to.fullPath}` } }
  return true
})

router.afterEach((to) => {
  document.title = `${to.meta.title ?? '文明实践'} · 文明实践`
})
