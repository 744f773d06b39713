//! Every deployment setting the platform reads, with its type, range, default and Chinese label:
//! the one place a value is checked. The settings API (`GET/PUT /api/v1/settings`) validates
//! writes here, and the readers (`checkin`, `demand`, `identity`, `notify`, `reward`,
//! [`crate::throttle`]) take their ranges from here, so a value the console accepts is always
//! one the reader accepts.
//!
//! Two settings are structured rather than whole numbers: the hour-rounding rule ([`Rounding`])
//! and the star thresholds ([`parse_thresholds`]); their parsers live here for the same reason.
//! The evaluation index's weights and targets (`evaluation.index`) are a JSON document with its
//! own API (`PUT /api/v1/evaluation/settings`) and are not listed.

use std::ops::RangeInclusive;

/// Where a setting is shown on the settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The deployment itself (its name).
    Basic,
    /// Check-in, check-out and service minutes.
    Hours,
    /// Demand orders.
    Demands,
    /// Messages to people.
    Messages,
    /// Star levels and rewards.
    Rewards,
    /// Sign-in protection and rate limits.
    SignIn,
    /// The big-data screen (大屏).
    Screen,
}

impl Group {
    /// The machine name the API uses.
    pub fn name(self) -> &'static str {
        match self {
            Group::Basic => "basic",
            Group::Hours => "hours",
            Group::Demands => "demands",
            Group::Messages => "messages",
            Group::Rewards => "rewards",
            Group::SignIn => "sign_in",
            Group::Screen => "screen",
        }
    }

    /// The Chinese heading.
    pub fn label(self) -> &'static str {
        match self {
            Group::Basic => "基本信息",
            Group::Hours => "签到与服务时长",
            Group::Demands => "群众点单",
            Group::Messages => "消息",
            Group::Rewards => "星级与礼遇",
            Group::SignIn => "登录安全与限流",
            Group::Screen => "数据大屏",
        }
    }
}

/// What kind of value a setting holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number from `min` to `max`, in `unit` (Chinese, for people).
    Int { min: i64, max: i64, unit: &'static str },
    /// One line of text of 1 to `max_chars` characters (0 to `max_chars` when `optional`: empty
    /// means "none").
    Text { max_chars: usize, optional: bool },
    /// A map tile URL template ([`check_tile_url`]), or empty for none.
    TileUrl,
    /// The hour-rounding rule, JSON `[[upper, rounded], ...]` ([`Rounding`]).
    Rounding,
    /// Star thresholds in whole hours, `100,300,...` ([`parse_thresholds`]).
    Thresholds,
}

impl Kind {
    /// The machine name the API uses.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Int { .. } => "integer",
            Kind::Text { .. } => "text",
            Kind::TileUrl => "tile_url",
            Kind::Rounding => "rounding",
            Kind::Thresholds => "thresholds",
        }
    }
}

/// One setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The `deployment_settings` key.
    pub key: &'static str,
    pub group: Group,
    /// The Chinese name shown beside the field.
    pub label: &'static str,
    /// What it does, in Chinese.
    pub help: &'static str,
    pub kind: Kind,
    /// The value the reader uses when the key is unset.
    pub default: &'static str,
}

impl Spec {
    /// The allowed range of a whole-number setting (a non-number setting has none: a
    /// programming error, caught by the readers' unit tests).
    pub fn range(&self) -> RangeInclusive<i64> {
        match self.kind {
            Kind::Int { min, max, .. } => min..=max,
            _ => panic!("{} is not a whole-number setting", self.key),
        }
    }

    /// `raw` checked and normalised (trimmed, numbers without leading zeros, the rounding rule
    /// re-serialised), or the reason it is refused, in Chinese, for the page to show beside the
    /// field.
    pub fn check(&self, raw: &str) -> Result<String, String> {
        let v = raw.trim();
        match self.kind {
            Kind::Int { min, max, unit } => match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
                _ => Err(format!("{}须为 {min} 到 {max} 之间的整数（单位：{unit}）", self.label)),
            },
            Kind::Text { optional: true, .. } if v.is_empty() => Ok(String::new()),
            Kind::Text { max_chars, optional } => {
                let chars = v.chars().count();
                if chars > max_chars {
                    let least = if optional { 0 } else { 1 };
                    Err(format!("{}须为 {least} 到 {max_chars} 个字", self.label))
                } else if chars == 0 {
                    Err(format!("{}须为 1 到 {max_chars} 个字", self.label))
                } else if v.chars().any(|c| c.is_control() || domain::unicode::is_invisible_in_line(c)) {
                    Err(format!("{}不能含有控制字符或不可见字符", self.label))
                } else {
                    Ok(v.to_string())
                }
            }
            Kind::Rounding => Rounding::parse(v)
                .map(|r| r.to_json())
                .map_err(|e| format!("取整规则无效：{e}（格式如 [[15,0],[45,30],[60,60]]）")),
            Kind::Thresholds => parse_thresholds(v)
                .map(|t| format_thresholds(&t))
                .map_err(|e| format!("星级门槛无效：{e}（格式如 100,300,600,1000,1500）")),
            Kind::TileUrl => check_tile_url(v).map(str::to_string).map_err(|e| format!("{}无效：{e}", self.label)),
        }
    }
}

const S: &str = "秒";

/// The rate-limit budgets' ranges ([`crate::throttle::Budget`]), for every budget.
pub const THROTTLE_PER_CLIENT: RangeInclusive<i64> = 1..=1_000_000;
/// Requests from everyone per window.
pub const THROTTLE_GLOBAL: RangeInclusive<i64> = 1..=100_000_000;
/// A budget's window, in seconds: up to a week.
pub const THROTTLE_WINDOW_S: RangeInclusive<i64> = 1..=7 * 24 * 3600;

/// The longest check-in window or grace: a week.
const WEEK_S: i64 = 7 * 86_400;
/// The longest demand window: a year.
const YEAR_S: i64 = 366 * 86_400;

/// Every setting, in the order the page shows them.
pub const SETTINGS: &[Spec] = &[
    Spec {
        key: "county_name",
        group: Group::Basic,
        label: "中心名称",
        help: "平台状态页和各页面显示的实践中心名称",
        kind: Kind::Text { max_chars: 64, optional: false },
        default: "新时代文明实践中心",
    },
    Spec {
        key: "checkin.opens_before_s",
        group: Group::Hours,
        label: "提前签到时间",
        help: "活动开始前多久可以签到",
        kind: Kind::Int { min: 0, max: WEEK_S, unit: S },
        default: "1800",
    },
    Spec {
        key: "checkout.grace_s",
        group: Group::Hours,
        label: "签退宽限时间",
        help: "活动结束后超过此时间仍未签退的，系统自动签退并标记",
        kind: Kind::Int { min: 0, max: WEEK_S, unit: S },
        default: "7200",
    },
    Spec {
        key: "hours.rounding",
        group: Group::Hours,
        label: "时长取整规则",
        help: "不足一小时部分的取整：[[上限分钟, 计为分钟], ...]，默认 0–15 分计 0，16–45 分计 30，46–59 分计 60",
        kind: Kind::Rounding,
        default: "[[15,0],[45,30],[60,60]]",
    },
    Spec {
        key: "checkin.code_attempts",
        group: Group::Hours,
        label: "动态签到码尝试次数",
        help: "每位志愿者每个活动在一个窗口内可输错动态签到码的次数",
        kind: Kind::Int { min: 1, max: 100, unit: "次" },
        default: "5",
    },
    Spec {
        key: "checkin.code_lockout_s",
        group: Group::Hours,
        label: "签到码锁定窗口",
        help: "用完尝试次数后需等待的窗口长度",
        kind: Kind::Int { min: 60, max: 86_400, unit: S },
        default: "600",
    },
    Spec {
        key: "demand.duplicate_window_s",
        group: Group::Demands,
        label: "重复点单判定时间",
        help: "同一群众在此时间内对同一服务再次点单（前单未结）视为重复",
        kind: Kind::Int { min: 0, max: YEAR_S, unit: S },
        default: "86400",
    },
    Spec {
        key: "demand.auto_close_s",
        group: Group::Demands,
        label: "未评价自动结单时间",
        help: "完成后群众未评价的订单，超过此时间自动结单",
        kind: Kind::Int { min: 0, max: YEAR_S, unit: S },
        default: "604800",
    },
    Spec {
        key: "notify.daily_cap",
        group: Group::Messages,
        label: "每人每日消息上限",
        help: "同一接收人一天内最多收到的通知条数",
        kind: Kind::Int { min: 0, max: 10_000, unit: "条" },
        default: "10",
    },
    Spec {
        key: "reward.star_thresholds_h",
        group: Group::Rewards,
        label: "星级门槛",
        help: "一星到最高星所需的服务小时数，逗号分隔，严格递增",
        kind: Kind::Thresholds,
        default: "100,300,600,1000,1500",
    },
    Spec {
        key: "reward.notice_days",
        group: Group::Rewards,
        label: "星级公示期",
        help: "星级提名后公示的天数，期满方可确认",
        kind: Kind::Int { min: 0, max: 60, unit: "天" },
        default: "5",
    },
    Spec {
        key: "reward.pickup_days",
        group: Group::Rewards,
        label: "兑换领取期限",
        help: "兑换后未在此期限内领取的，自动取消并退还积分",
        kind: Kind::Int { min: 1, max: 365, unit: "天" },
        default: "30",
    },
    Spec {
        key: "identity.lock_failures",
        group: Group::SignIn,
        label: "锁定前失败次数",
        help: "同一客户端连续输错密码达到此次数后锁定该账号（仅对该客户端）",
        kind: Kind::Int { min: 1, max: 100, unit: "次" },
        default: "5",
    },
    Spec {
        key: "identity.lock_s",
        group: Group::SignIn,
        label: "锁定时长",
        help: "上述锁定持续的时间",
        kind: Kind::Int { min: 1, max: 24 * 3600, unit: S },
        default: "900",
    },
    Spec {
        key: "identity.delay_after",
        group: Group::SignIn,
        label: "延迟前失败次数",
        help: "所有客户端合计连续失败达到此次数后，每次尝试需等待递增的延迟",
        kind: Kind::Int { min: 1, max: 1000, unit: "次" },
        default: "10",
    },
    Spec {
        key: "identity.delay_cap_s",
        group: Group::SignIn,
        label: "最长延迟",
        help: "账号级延迟的上限",
        kind: Kind::Int { min: 1, max: 3600, unit: S },
        default: "60",
    },
    Spec {
        key: "identity.argon2_slots",
        group: Group::SignIn,
        label: "同时校验密码数",
        help: "同时进行的密码校验数（每个占满一个处理器核心）",
        // The migration seeds 32 slot rows.
        kind: Kind::Int { min: 1, max: 32, unit: "个" },
        default: "4",
    },
    Spec {
        key: "identity.argon2_wait_ms",
        group: Group::SignIn,
        label: "校验排队等待",
        help: "登录等待空闲校验位的最长时间，超时回答“繁忙”",
        kind: Kind::Int { min: 0, max: 10_000, unit: "毫秒" },
        default: "5000",
    },
    Spec {
        key: "throttle.sign_ins.per_client",
        group: Group::SignIn,
        label: "登录次数（每客户端）",
        help: "每个客户端（IP）在一个窗口内可尝试登录的次数",
        kind: Kind::Int { min: *THROTTLE_PER_CLIENT.start(), max: *THROTTLE_PER_CLIENT.end(), unit: "次" },
        default: "100",
    },
    Spec {
        key: "throttle.sign_ins.global",
        group: Group::SignIn,
        label: "登录次数（全部）",
        help: "所有客户端合计在一个窗口内可尝试登录的次数",
        kind: Kind::Int { min: *THROTTLE_GLOBAL.start(), max: *THROTTLE_GLOBAL.end(), unit: "次" },
        default: "1000",
    },
    Spec {
        key: "throttle.sign_ins.window_s",
        group: Group::SignIn,
        label: "登录限流窗口",
        help: "上述两项计数的窗口长度",
        kind: Kind::Int { min: *THROTTLE_WINDOW_S.start(), max: *THROTTLE_WINDOW_S.end(), unit: S },
        default: "60",
    },
    Spec {
        key: "throttle.sms_codes.per_client",
        group: Group::SignIn,
        label: "验证码次数（每客户端）",
        help: "每个客户端在一个窗口内可申请短信验证码的次数",
        kind: Kind::Int { min: *THROTTLE_PER_CLIENT.start(), max: *THROTTLE_PER_CLIENT.end(), unit: "次" },
        default: "40",
    },
    Spec {
        key: "throttle.sms_codes.global",
        group: Group::SignIn,
        label: "验证码次数（全部）",
        help: "所有客户端合计在一个窗口内可申请短信验证码的次数（短信按条计费）",
        kind: Kind::Int { min: *THROTTLE_GLOBAL.start(), max: *THROTTLE_GLOBAL.end(), unit: "次" },
        default: "300",
    },
    Spec {
        key: "throttle.sms_codes.window_s",
        group: Group::SignIn,
        label: "验证码限流窗口",
        help: "上述两项计数的窗口长度",
        kind: Kind::Int { min: *THROTTLE_WINDOW_S.start(), max: *THROTTLE_WINDOW_S.end(), unit: S },
        default: "600",
    },
    Spec {
        key: "throttle.js_sdk.per_client",
        group: Group::SignIn,
        label: "微信JS-SDK签名次数（每客户端）",
        help: "每个客户端在一个窗口内可获取微信页面签名的次数（页面每次打开取一次）",
        kind: Kind::Int { min: *THROTTLE_PER_CLIENT.start(), max: *THROTTLE_PER_CLIENT.end(), unit: "次" },
        default: "60",
    },
    Spec {
        key: "throttle.js_sdk.global",
        group: Group::SignIn,
        label: "微信JS-SDK签名次数（全部）",
        help: "所有客户端合计在一个窗口内可获取微信页面签名的次数",
        kind: Kind::Int { min: *THROTTLE_GLOBAL.start(), max: *THROTTLE_GLOBAL.end(), unit: "次" },
        default: "6000",
    },
    Spec {
        key: "throttle.js_sdk.window_s",
        group: Group::SignIn,
        label: "微信JS-SDK签名限流窗口",
        help: "上述两项计数的窗口长度",
        kind: Kind::Int { min: *THROTTLE_WINDOW_S.start(), max: *THROTTLE_WINDOW_S.end(), unit: S },
        default: "60",
    },
    Spec {
        key: "throttle.wechat_sign_ins.per_client",
        group: Group::SignIn,
        label: "微信登录发起次数（每客户端）",
        help: "每个客户端在一个窗口内可发起微信网页授权登录的次数",
        kind: Kind::Int { min: *THROTTLE_PER_CLIENT.start(), max: *THROTTLE_PER_CLIENT.end(), unit: "次" },
        default: "60",
    },
    Spec {
        key: "throttle.wechat_sign_ins.global",
        group: Group::SignIn,
        label: "微信登录发起次数（全部）",
        help: "所有客户端合计在一个窗口内可发起微信网页授权登录的次数",
        kind: Kind::Int { min: *THROTTLE_GLOBAL.start(), max: *THROTTLE_GLOBAL.end(), unit: "次" },
        default: "6000",
    },
    Spec {
        key: "throttle.wechat_sign_ins.window_s",
        group: Group::SignIn,
        label: "微信登录限流窗口",
        help: "上述两项计数的窗口长度",
        kind: Kind::Int { min: *THROTTLE_WINDOW_S.start(), max: *THROTTLE_WINDOW_S.end(), unit: S },
        default: "60",
    },
    Spec {
        key: "screen.tile_url",
        group: Group::Screen,
        label: "地图瓦片地址",
        help: "本部署自有或已购买的地图瓦片服务（须使用经审核批准的地图），https 地址模板，含 {z}、{x}、{y}，例如 https://tiles.example.org/{z}/{x}/{y}.png；留空则大屏以组织架构示意图代替地图",
        kind: Kind::TileUrl,
        default: "",
    },
    Spec {
        key: "screen.tile_attribution",
        group: Group::Screen,
        label: "地图署名",
        help: "瓦片服务要求在地图上显示的署名与审图号，如“© 某某测绘 审图号：GS(20XX)XXXX号”；留空则不显示",
        kind: Kind::Text { max_chars: 120, optional: true },
        default: "",
    },
];

/// The longest tile URL template.
pub const TILE_URL_MAX: usize = 500;

/// A slippy-map tile URL template as the screen uses it: `https://host[:port]/...` with each of
/// `{z}`, `{x}` and `{y}` exactly once and no other `{...}` (no `{s}` subdomains: one origin, so
/// the screen's image policy is one origin), no credentials (`@` is refused in the host), fragments or spaces; a query such as an
/// API key is kept. Empty
/// means "no tile service". Only https: the screen is served over https in production and a
/// mixed-content image would be blocked.
pub fn check_tile_url(v: &str) -> Result<&str, String> {
    if v.is_empty() {
        return Ok(v);
    }
    if v.chars().count() > TILE_URL_MAX {
        return Err(format!("最长 {TILE_URL_MAX} 个字符"));
    }
    let rest = v.strip_prefix("https://").ok_or("须以 https:// 开头")?;
    if v.chars().any(|c| c.is_whitespace() || c.is_control() || !c.is_ascii()) {
        return Err("不能含有空格、控制字符或非 ASCII 字符（中文请先百分号编码）".into());
    }
    if v.contains(['#', '\\', '"', '<', '>', '`']) {
        return Err("不能含有 #、反斜杠、引号或尖括号".into());
    }
    let (host, path) = rest.split_once('/').ok_or("须含路径，如 https://主机/{z}/{x}/{y}.png")?;
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b':')
        && !host.starts_with(['.', '-', ':']);
    if !host_ok {
        return Err("主机名无效（只能含字母、数字、点、连字符和端口号）".into());
    }
    for placeholder in ["{z}", "{x}", "{y}"] {
        match path.matches(placeholder).count() {
            1 => {}
            0 => return Err(format!("须含 {placeholder}")),
            _ => return Err(format!("{placeholder} 只能出现一次")),
        }
    }
    let bare = path.replace("{z}", "").replace("{x}", "").replace("{y}", "");
    if bare.contains(['{', '}']) {
        return Err("只支持 {z}、{x}、{y} 三个占位符".into());
    }
    Ok(v)
}

/// The setting `key`, or `None` for a key nobody reads.
pub fn spec(key: &str) -> Option<&'static Spec> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// The range of the whole-number setting `key`, for its reader. Panics on a key that is not
/// registered as a whole number: a reader and the registry out of step is a programming error,
/// and each reader's unit tests load its defaults, which calls this.
pub fn range(key: &str) -> RangeInclusive<i64> {
    spec(key).unwrap_or_else(|| panic!("{key} is not a registered setting")).range()
}

/// The deployment's rounding rule (`hours.rounding`): pairs `[upper, rounded]` applied to the
/// minutes past the last whole hour — the first pair whose `upper` is at least that remainder
/// gives what it becomes. The default `[[15,0],[45,30],[60,60]]` turns 0–15 into 0, 16–45 into
/// 30 and 46–59 into a whole hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rounding {
    steps: Vec<(i64, i64)>,
}

impl Default for Rounding {
    fn default() -> Self {
        Rounding { steps: vec![(15, 0), (45, 30), (60, 60)] }
    }
}

impl Rounding {
    /// Parses and validates the setting's JSON text: a non-empty list of `[upper, rounded]`
    /// integer pairs with strictly increasing `upper` in 0–60, the last covering 59, and each
    /// `rounded` in 0–60.
    pub fn parse(text: &str) -> Result<Rounding, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("hours.rounding is not JSON: {e}"))?;
        let pairs = value.as_array().ok_or("hours.rounding must be a list of [upper, rounded] pairs")?;
        if pairs.is_empty() {
            return Err("hours.rounding must not be empty".into());
        }
        let mut steps = Vec::with_capacity(pairs.len());
        for pair in pairs {
            let (upper, rounded) = match pair.as_array().map(Vec::as_slice) {
                Some([u, r]) => (
                    u.as_i64().ok_or("hours.rounding: upper must be an integer")?,
                    r.as_i64().ok_or("hours.rounding: rounded must be an integer")?,
                ),
                _ => return Err("hours.rounding: each step must be a pair [upper, rounded]".into()),
            };
            if !(0..=60).contains(&upper) || !(0..=60).contains(&rounded) {
                return Err("hours.rounding: values must lie in 0–60".into());
            }
            if steps.last().is_some_and(|(prev, _)| *prev >= upper) {
                return Err("hours.rounding: upper bounds must increase".into());
            }
            steps.push((upper, rounded));
        }
        if steps.last().is_some_and(|(upper, _)| *upper < 59) {
            return Err("hours.rounding: the last upper bound must be at least 59".into());
        }
        Ok(Rounding { steps })
    }

    /// The rule as the setting's JSON text.
    pub fn to_json(&self) -> String {
        serde_json::Value::from(self.steps.iter().map(|(u, r)| vec![*u, *r]).collect::<Vec<_>>()).to_string()
    }

    /// `minutes` rounded: whole hours kept, the remainder mapped by the first step covering it.
    pub fn apply(&self, minutes: i64) -> i64 {
        let minutes = minutes.max(0);
        let (hours, rest) = (minutes / 60, minutes % 60);
        let rounded = self.steps.iter().find(|(upper, _)| rest <= *upper).map_or(rest, |(_, r)| *r);
        hours * 60 + rounded
    }
}

/// At most this many star levels (the schema's CHECK on `star_levels.level`).
pub const MAX_LEVELS: usize = 10;
/// The highest star threshold, in hours (a lifetime of service, with room to spare).
pub const MAX_THRESHOLD_H: i64 = 100_000;

/// Checks star thresholds: 1 to 10 whole hours, positive, strictly increasing.
pub fn check_thresholds(values: &[i64]) -> Result<(), String> {
    if values.is_empty() || values.len() > MAX_LEVELS {
        return Err(format!("give 1 to {MAX_LEVELS} thresholds"));
    }
    if values.iter().any(|h| !(1..=MAX_THRESHOLD_H).contains(h)) {
        return Err(format!("each threshold must be a whole number of hours from 1 to {MAX_THRESHOLD_H}"));
    }
    if values.windows(2).any(|w| w[0] >= w[1]) {
        return Err("thresholds must increase strictly".into());
    }
    Ok(())
}

/// `"100,300,600"` → `[100, 300, 600]`, checked.
pub fn parse_thresholds(text: &str) -> Result<Vec<i64>, String> {
    let values = text
        .split(',')
        .map(|s| s.trim().parse::<i64>().map_err(|_| format!("{s:?} is not a whole number of hours")))
        .collect::<Result<Vec<_>, _>>()?;
    check_thresholds(&values)?;
    Ok(values)
}

/// `[100, 300]` → `"100,300"`.
pub fn format_thresholds(values: &[i64]) -> String {
    values.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_passes_its_own_check_and_keys_are_unique() {
        for s in SETTINGS {
            assert_eq!(s.check(s.default).as_deref(), Ok(s.default), "{}", s.key);
            assert_eq!(SETTINGS.iter().filter(|t| t.key == s.key).count(), 1, "{}", s.key);
        }
    }

    #[test]
    fn tile_templates_are_https_with_each_placeholder_once() {
        let tile = spec("screen.tile_url").unwrap();
        for good in [
            "",
            "https://tiles.example.cn/{z}/{x}/{y}.png",
            "https://127.0.0.1:8443/t/{z}/{y}/{x}?key=abc",
            "  https://a.example/{z}-{x}-{y}  ",
        ] {
            assert_eq!(tile.check(good).as_deref(), Ok(good.trim()), "{good}");
        }
        for bad in [
            "http://tiles.example.cn/{z}/{x}/{y}.png",
            "https://tiles.example.cn/{z}/{x}.png",
            "https://tiles.example.cn/{z}/{x}/{y}/{y}.png",
            "https://{s}.tiles.example.cn/{z}/{x}/{y}.png",
            "https://tiles.example.cn/{z}/{x}/{y}/{s}.png",
            "https://user:pw@tiles.example.cn/{z}/{x}/{y}.png",
            "https://tiles.example.cn/{z}/{x}/{y}.png#x",
            "https://tiles.example.cn/{z}/{x}/{y} .png",
            "https://tiles.example.cn",
            "javascript:alert(1)//{z}/{x}/{y}",
        ] {
            assert!(tile.check(bad).is_err(), "{bad}");
        }
        let attribution = spec("screen.tile_attribution").unwrap();
        assert_eq!(attribution.check(" ").as_deref(), Ok(""));
        assert!(attribution.check(&"图".repeat(121)).is_err());
        assert!(spec("county_name").unwrap().check("").is_err());
    }

    #[test]
    fn values_are_normalised_or_refused_with_the_range() {
        let grace = spec("checkout.grace_s").unwrap();
        assert_eq!(grace.check(" 600 "), Ok("600".into()));
        assert!(grace.check("-1").unwrap_err().contains("0 到 604800"));
        assert!(grace.check("2h").is_err());
        let rounding = spec("hours.rounding").unwrap();
        assert_eq!(rounding.check("[[29, 0], [59, 60]]"), Ok("[[29,0],[59,60]]".into()));
        assert!(rounding.check("[[15,0]]").is_err());
        let stars = spec("reward.star_thresholds_h").unwrap();
        assert_eq!(stars.check("10, 20"), Ok("10,20".into()));
        assert!(stars.check("20,10").is_err());
        let name = spec("county_name").unwrap();
        assert!(name.check("  ").is_err());
        assert!(name.check("a\u{200b}b").is_err());
        assert_eq!(range("reward.pickup_days"), 1..=365);
    }

    #[test]
    fn the_default_rounding_rule_rounds_the_part_past_the_hour() {
        let r = Rounding::default();
        assert_eq!(Rounding::parse(&r.to_json()).unwrap(), r);
        for (input, expected) in [(0, 0), (15, 0), (16, 30), (45, 30), (46, 60), (75, 60), (76, 90)] {
            assert_eq!(r.apply(input), expected, "{input}");
        }
    }

    #[test]
    fn thresholds_parse_and_must_increase() {
        assert_eq!(parse_thresholds(" 100, 300 ,600").unwrap(), vec![100, 300, 600]);
        for bad in ["", "100,100", "300,100", "0,5", "a,b", "1,2,3,4,5,6,7,8,9,10,11", "-5"] {
            assert!(parse_thresholds(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_thresholds(&[1, 2, 3]), "1,2,3");
    }
}
