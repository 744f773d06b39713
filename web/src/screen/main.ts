// The big-data screen (大屏): a page for a wall display, opened as /screen.html#<token> from a
// screen link. The token stays in the fragment, so it never reaches a server log or a Referer.
import { createApp } from 'vue'
import './screen.css'
import ScreenApp from './ScreenApp.vue'

createApp(ScreenApp).mount('#screen')
