//! What a provider's per-number code means for the message, decided once for both providers.
//! Pure: the codes are the providers' documented ones (Tencent SMS API 3.0 `SendStatusSet[i].Code`,
//! Aliyun Dysmsapi `Code`).
//!
//! - `Retry`: the provider refused for now (frequency limits, its own hiccup). The message goes
//!   back to `queued` and is picked again after the backoff.
//! - `Permanent`: nothing will ever deliver it (no such number, the person unsubscribed). The
//!   message is `failed`.
//! - `Alert`: the deployment is wrong (signature or template not approved, balance exhausted,
//!   credentials). Not the recipient's fault and not for retrying blindly: the message waits an
//!   hour in `queued` with the alert recorded for staff, and fails after `MAX_ATTEMPTS`.

/// Seconds in a day: the daily frequency limits reset within one.
const DAY: i64 = 86_400;
/// A message is given up after this many provider calls.
pub const MAX_ATTEMPTS: i64 = 5;
/// How long a message held for an operator waits before it is tried again.
pub const ALERT_HOLD_S: i64 = 3_600;

/// The outcome class of one number's answer (stored in `outbox.error_class`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Try again after at least this many seconds.
    Retry {
        after: i64,
    },
    Permanent,
    Alert,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Retry { .. } => "retry",
            Class::Permanent => "permanent",
            Class::Alert => "alert",
        }
    }
}

/// Backoff for an error with no fixed window: 1, 4, 16, 64 minutes by attempt (the first
/// attempt is 1), so a provider's short hiccup costs a minute and a long one little load.
pub fn backoff(attempts: i64) -> i64 {
    60 * 4_i64.pow(attempts.clamp(1, 4) as u32 - 1)
}

/// A WeChat `errcode` refusing a template message. Only WeChat's own "busy, try again" (-1) is
/// worth waiting for; anything else — 43004 not following, 43101 the person refused the
/// account's messages, 40003 an invalid openid, 40037 an unknown template, 47003 data the template
/// does not take, quotas — will not change soon, so the WeChat message fails and the notice goes
/// by SMS at once (a late notice is worth less than one by another channel).
pub fn wechat(errcode: i64, attempts: i64) -> Class {
    match errcode {
        -1 => Class::Retry { after: backoff(attempts) },
        _ => Class::Permanent,
    }
}

/// A Tencent per-number `Code` other than `Ok`.
pub fn tencent(code: &str, attempts: i64) -> Class {
    match code {
        "LimitExceeded.PhoneNumberThirtySecondLimit" => Class::Retry { after: 30 },
        "LimitExceeded.PhoneNumberOneHourLimit" => Class::Retry { after: 3_600 },
        "LimitExceeded.PhoneNumberDailyLimit"
        | "LimitExceeded.PhoneNumberSameContentDailyLimit"
        | "LimitExceeded.AppDailyLimit"
        | "LimitExceeded.DailyLimit" => Class::Retry { after: DAY },
        "LimitExceeded.DeliveryFrequencyLimit" => Class::Retry { after: backoff(attempts) },
        "InvalidParameterValue.IncorrectPhoneNumber"
        | "FailedOperation.PhoneNumberInBlacklist"
        | "FailedOperation.PhoneNumberParseFail"
        | "UnsupportedOperation.UnsupportedRegion"
        | "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber" => Class::Permanent,
        c if c.starts_with("InternalError") || c.starts_with("RequestLimitExceeded") => {
            Class::Retry { after: backoff(attempts) }
        }
        // Signature, template, balance, arrears, parameters that do not fit the template, and
        // anything undocumented: a person has to look.
        _ => Class::Alert,
    }
}

/// An Aliyun `Code` other than `OK`.
pub fn aliyun(code: &str, attempts: i64) -> Class {
    match code {
        // Aliyun's minute/hour frequency control for one number.
        "isv.BUSINESS_LIMIT_CONTROL" => Class::Retry { after: backoff(attempts).max(60) },
        "isv.DAY_LIMIT_CONTROL" => Class::Retry { after: DAY },
        "isv.MOBILE_NUMBER_ILLEGAL"
        | "isv.MOBILE_COUNT_OVER_LIMIT"
        | "isv.PHONENUMBER_INVALID"
        | "isv.MOBILE_IN_BLACK"
        | "isv.UNSUBSCRIBED"
        | "isv.BLACK_KEY_CONTROL_LIMIT_MOBILE" => Class::Permanent,
        c if c.starts_with("isp.") || c == "Throttling" || c.starts_with("Throttling.") => {
            Class::Retry { after: backoff(attempts) }
        }
        _ => Class::Alert,
    }
}

/// Whether a provider's answer to the whole request (not one number) means "this provider is
/// not working now": the second provider, if any, takes over. Credentials and signatures are in
/// this set too — a wrong key at one provider should not stop delivery through the other.
pub fn tencent_whole_failure(code: &str) -> bool {
    code.starts_with("AuthFailure")
        || code.starts_with("InternalError")
        || code.starts_with("RequestLimitExceeded")
        || code == "ResourceUnavailable"
        || code.starts_with("UnauthorizedOperation")
        || code == "FailedOperation.InsufficientBalanceInSmsPackage"
        || code.starts_with("InvalidParameterValue.SdkAppId")
}

pub fn aliyun_whole_failure(code: &str) -> bool {
    code.starts_with("isp.")
        || code.starts_with("InvalidAccessKeyId")
        || code == "SignatureDoesNotMatch"
        || code == "IncompleteSignature"
        || code.starts_with("Throttling")
        || code == "isv.AMOUNT_NOT_ENOUGH"
        || code == "isv.OUT_OF_SERVICE"
        || code == "isv.ACCOUNT_NOT_EXISTS"
        || code == "isv.ACCOUNT_ABNORMAL"
}

/// The class of a whole failure when no provider could take the message: an operator problem
/// (credentials, balance) or a passing one (outage).
pub fn whole_failure_class(code: &str, attempts: i64) -> Class {
    let passing = code.is_empty()
        || code.starts_with("InternalError")
        || code.starts_with("isp.")
        || code.starts_with("RequestLimitExceeded")
        || code.starts_with("Throttling")
        || code == "ResourceUnavailable"
        || code.starts_with("http")
        || code == "unreachable";
    if passing {
        Class::Retry { after: backoff(attempts) }
    } else {
        Class::Alert
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_limits_retry_after_their_window() {
        assert_eq!(tencent("LimitExceeded.PhoneNumberThirtySecondLimit", 1), Class::Retry { after: 30 });
        assert_eq!(tencent("LimitExceeded.PhoneNumberDailyLimit", 1), Class::Retry { after: DAY });
        assert_eq!(aliyun("isv.DAY_LIMIT_CONTROL", 1), Class::Retry { after: DAY });
        assert_eq!(aliyun("isv.BUSINESS_LIMIT_CONTROL", 1), Class::Retry { after: 60 });
        assert_eq!(tencent("InternalError.Timeout", 2), Class::Retry { after: 240 });
    }

    #[test]
    fn bad_or_unsubscribed_numbers_fail_for_good() {
        assert_eq!(tencent("InvalidParameterValue.IncorrectPhoneNumber", 1), Class::Permanent);
        assert_eq!(tencent("FailedOperation.PhoneNumberInBlacklist", 1), Class::Permanent);
        assert_eq!(aliyun("isv.MOBILE_NUMBER_ILLEGAL", 1), Class::Permanent);
    }

    #[test]
    fn the_deployments_own_mistakes_alert_an_operator() {
        assert_eq!(tencent("FailedOperation.SignatureIncorrectOrUnapproved", 1), Class::Alert);
        assert_eq!(tencent("FailedOperation.TemplateIncorrectOrUnapproved", 1), Class::Alert);
        assert_eq!(tencent("FailedOperation.InsufficientBalanceInSmsPackage", 1), Class::Alert);
        assert_eq!(aliyun("isv.SMS_TEMPLATE_ILLEGAL", 1), Class::Alert);
        assert_eq!(aliyun("isv.AMOUNT_NOT_ENOUGH", 1), Class::Alert);
        assert_eq!(tencent("Something.New", 1), Class::Alert);
    }

    #[test]
    fn backoff_grows_and_stops_growing() {
        assert_eq!([1, 2, 3, 4, 9].map(backoff), [60, 240, 960, 3_840, 3_840]);
    }

    #[test]
    fn outages_and_credentials_hand_over_to_the_second_provider() {
        assert!(tencent_whole_failure("AuthFailure.SignatureFailure"));
        assert!(tencent_whole_failure("InternalError.Timeout"));
        assert!(!tencent_whole_failure("InvalidParameterValue.IncorrectPhoneNumber"));
        assert!(aliyun_whole_failure("isp.SYSTEM_ERROR"));
        assert!(aliyun_whole_failure("SignatureDoesNotMatch"));
        assert!(!aliyun_whole_failure("isv.MOBILE_NUMBER_ILLEGAL"));
        assert_eq!(whole_failure_class("http 503", 1), Class::Retry { after: 60 });
        assert_eq!(whole_failure_class("AuthFailure.SignatureFailure", 1), Class::Alert);
    }
}
