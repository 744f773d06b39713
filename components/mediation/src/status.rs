//! The status vocabulary of a mediation case (the union of the court platform's and the
//! township centres' flows) and which moves are forward. Events may arrive late or twice; a move
//! backwards (or out of a final status) is refused so a late event never rewinds a case.

/// `(status, stage, label shown to the parties)`. A case only moves to a later stage; final
/// statuses end it. The label is neutral on purpose: SMS content review refuses 调解/维权
/// wording, and a message naming a court that the court did not send alarms people.
const STATUSES: [(&str, u8, &str); 16] = [
    ("submitted", 0, "已提交"),
    ("under_review", 1, "审核中"),
    ("accepted", 2, "已受理"),
    ("refused", 2, "未受理"),
    ("mediator_assigned", 3, "已安排工作人员"),
    ("parties_notified", 4, "已通知各方"),
    ("in_progress", 5, "处理中"),
    ("succeeded", 6, "已达成协议"),
    ("failed", 6, "未达成协议"),
    ("agreement_confirmed", 7, "协议已确认"),
    ("case_filed", 7, "已转立案"),
    ("confirmation_applied", 8, "确认申请中"),
    ("judicially_confirmed", 9, "已确认"),
    ("document_issued", 9, "文书已出具"),
    ("withdrawn", 10, "已撤回"),
    ("expired", 10, "已超期终止"),
];

const FINAL: [&str; 6] = ["refused", "case_filed", "judicially_confirmed", "document_issued", "withdrawn", "expired"];

/// Every status name, for error messages.
pub fn names() -> Vec<&'static str> {
    STATUSES.iter().map(|s| s.0).collect()
}

/// Whether `name` is a status.
pub fn is_status(name: &str) -> bool {
    STATUSES.iter().any(|s| s.0 == name)
}

fn stage(name: &str) -> Option<u8> {
    STATUSES.iter().find(|s| s.0 == name).map(|s| s.1)
}

/// The neutral label of a status.
pub fn label(name: &str) -> &'static str {
    STATUSES.iter().find(|s| s.0 == name).map_or("已更新", |s| s.2)
}

/// Whether a case at `from` may move to `to`: forward only, never out of a final status;
/// withdrawal and expiry end any open case; after `failed` only filing follows.
pub fn may_move(from: &str, to: &str) -> bool {
    if FINAL.contains(&from) {
        return false;
    }
    if matches!(to, "withdrawn" | "expired") {
        return true;
    }
    if from == "failed" {
        return to == "case_filed";
    }
    to != "case_filed" && stage(to) > stage(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_move_forward_only_and_end_at_final_statuses() {
        assert!(may_move("submitted", "accepted"));
        assert!(may_move("accepted", "in_progress"), "a stage may be skipped");
        assert!(!may_move("in_progress", "accepted"), "never backwards");
        assert!(!may_move("accepted", "accepted"), "not to itself");
        assert!(may_move("in_progress", "failed") && may_move("failed", "case_filed"));
        assert!(!may_move("failed", "succeeded") && !may_move("succeeded", "case_filed"));
        assert!(may_move("succeeded", "judicially_confirmed"));
        assert!(may_move("mediator_assigned", "withdrawn"));
        for done in FINAL {
            assert!(!may_move(done, "withdrawn"), "{done} is final");
        }
        assert!(names().iter().all(|n| !label(n).contains("调解") && !label(n).contains("法院")));
    }
}
