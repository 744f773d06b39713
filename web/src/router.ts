import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { can, loadMe, session } from './session'
import ConsoleLayout from './layout/ConsoleLayout.vue'
import SignIn from './views/SignIn.vue'
import HomePage from './views/HomePage.vue'
import OrgPage from './views/org/OrgPage.vue'
import NotFound from './views/NotFound.vue'
import VolunteersPage from './views/volunteers/VolunteersPage.vue'
import VolunteerRecord from './views/volunteers/VolunteerRecord.vue'
import ActivitiesPage from './views/activities/ActivitiesPage.vue'
import ActivityDetail from './views/activities/ActivityDetail.vue'
import CheckinScreen from './views/activities/CheckinScreen.vue'
import SelfReportsPage from './views/activities/SelfReportsPage.vue'
import TeamsPage from './views/volunteers/TeamsPage.vue'
import OrganisationsPage from './views/volunteers/OrganisationsPage.vue'
import DispatchDesk from './views/dispatch/DispatchDesk.vue'
import OrdersByStage from './views/dispatch/OrdersByStage.vue'
import TeamDesk from './views/dispatch/TeamDesk.vue'
import DepartmentDesk from './views/dispatch/DepartmentDesk.vue'
import SurveyList from './views/surveys/SurveyList.vue'
import SurveyBuilder from './views/surveys/SurveyBuilder.vue'
import SurveyResults from './views/surveys/SurveyResults.vue'
import RewardsPage from './views/rewards/RewardsPage.vue'
import EvaluationPage from './views/evaluation/EvaluationPage.vue'
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
  // The venue's full-screen check-in code: no sidebar.
  { path: '/activities/:id(\\d+)/screen', component: CheckinScreen, props: true, meta: { title: '签到大屏', action: 'manage-teams' } },
  { path: '/setup', component: SetupPage, meta: { public: true, title: '平台初始化' } },
  {
    path: '/',
    component: ConsoleLayout,
    children: [
      { path: '', component: HomePage, meta: { title: '工作台' } },
      { path: 'orgs', component: OrgPage, meta: { title: '组织架构', action: 'read-directory' } },
      { path: 'volunteers', component: VolunteersPage, meta: { title: '志愿者', action: 'read-volunteers' } },
      { path: 'volunteers/:id(\\d+)', component: VolunteerRecord, props: true, meta: { title: '志愿者档案', action: 'read-volunteers' } },
      { path: 'teams', component: TeamsPage, meta: { title: '服务队伍', action: 'manage-teams' } },
      { path: 'organisations', component: OrganisationsPage, meta: { title: '组织入驻', action: 'review-organisations' } },
      { path: 'self-reports', component: SelfReportsPage, meta: { title: '自主申报', action: 'manage-volunteers' } },
      { path: 'activities', component: ActivitiesPage, meta: { title: '活动管理', action: 'manage-teams' } },
      { path: 'activities/:id(\\d+)', component: ActivityDetail, props: true, meta: { title: '活动详情', action: 'manage-teams' } },
      { path: 'dispatch', component: DispatchDesk, meta: { title: '点单派单', action: 'dispatch-orders' } },
      // Reached from the home page's 四单 numbers (src/drill.ts), not from the menu.
      { path: 'orders', component: OrdersByStage, meta: { title: '点单明细', action: 'dispatch-orders' } },
      { path: 'team-desk', component: TeamDesk, meta: { title: '队伍接单' } },
      { path: 'department-desk', component: DepartmentDesk, meta: { title: '部门办理', action: 'handle-department-items' } },
      { path: 'surveys', component: SurveyList, meta: { title: '需求调查', action: 'read-survey-results' } },
      { path: 'surveys/new', component: SurveyBuilder, meta: { title: '新建问卷', action: 'manage-surveys' } },
      { path: 'surveys/:id(\\d+)/edit', component: SurveyBuilder, meta: { title: '编辑问卷', action: 'manage-surveys' } },
      { path: 'surveys/:id(\\d+)/results', component: SurveyResults, meta: { title: '问卷结果', action: 'read-survey-results' } },
      { path: 'evaluation', component: EvaluationPage, meta: { title: '成效评估', action: 'read-evaluations' } },
      { path: 'rewards', component: RewardsPage, meta: { title: '礼遇', action: 'manage-rewards' } },
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
