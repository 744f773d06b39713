// Chinese names of the reward vocabulary (docs/reward-api.md).
export const KIND_NAMES: Record<string, string> = { goods: '爱心超市物品', service: '服务券', honour: '荣誉礼遇' }
export const REDEMPTION_STATUS: Record<string, string> = { reserved: '待领取', handed_over: '已领取', cancelled: '已取消' }
export const STAR_STATUS: Record<string, string> = { proposed: '公示中', confirmed: '已确认', rejected: '未通过', superseded: '已被更高星级取代' }
export const HONOUR_STATUS: Record<string, string> = { nominated: '待审核', approved: '已通过', rejected: '未通过' }
export const STAR_NAMES = ['无星级', '一星', '二星', '三星', '四星', '五星', '六星', '七星', '八星', '九星', '十星']
