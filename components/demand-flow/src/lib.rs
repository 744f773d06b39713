//! The demand order state machine, shared by the `demand` and `dispatch` components: the one
//! place that says which transition is allowed from which state, and the one writer of the
//! timeline (`demand_events`). Components never write `demands.status` except through
//! [`transition`], which checks the move and updates the row only if it is still in the state the
//! caller saw — so two concurrent moves cannot both succeed.
//!
//! ```text
//!  submitted ──dispatch──▶ dispatched ──accept──▶ accepted ──start──▶ in_service ──complete──▶ completed ──rate/auto-close──▶ closed
//!      │  ▲                   │                                                                    │
//!      │  └──────decline──────┘                                                                    └──reopen──▶ submitted
//!      ├──open-for-grab──▶ open ──grab──▶ accepted
//!      ├──forward──▶ forwarded ──reply──▶ replied ──close──▶ closed
//!      ├──reject──▶ rejected
//!      └──cancel──▶ cancelled        (cancel also from dispatched, open, accepted)
//! ```

pub mod order;

use kit::{ApiError, Db};
use spin_sdk::sqlite3::Value;

/// An order's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Submitted,
    Dispatched,
    Open,
    Accepted,
    InService,
    Completed,
    Forwarded,
    Replied,
    Rejected,
    Cancelled,
    Closed,
}

impl Status {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Dispatched => "dispatched",
            Status::Open => "open",
            Status::Accepted => "accepted",
            Status::InService => "in_service",
            Status::Completed => "completed",
            Status::Forwarded => "forwarded",
            Status::Replied => "replied",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Result<Status, ApiError> {
        Ok(match s {
            "submitted" => Status::Submitted,
            "dispatched" => Status::Dispatched,
            "open" => Status::Open,
            "accepted" => Status::Accepted,
            "in_service" => Status::InService,
            "completed" => Status::Completed,
            "forwarded" => Status::Forwarded,
            "replied" => Status::Replied,
            "rejected" => Status::Rejected,
            "cancelled" => Status::Cancelled,
            "closed" => Status::Closed,
            other => return Err(ApiError::Internal(format!("unknown demand status {other}"))),
        })
    }

    /// Whether the order is still being worked on (for duplicate detection and queues).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Rejected | Status::Cancelled | Status::Closed)
    }
}

/// Every move an order can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Staff send a welfare order to one team (派单).
    Dispatch,
    /// Staff open a welfare order for grabbing by eligible teams (抢单).
    OpenForGrab,
    /// A team wins a grab.
    Grab,
    /// Staff forward a petition/complaint to a department.
    Forward,
    /// Staff refuse the order, with a reason.
    Reject,
    /// Staff (or the citizen, before acceptance) cancel.
    Cancel,
    /// The team leader accepts (接单).
    Accept,
    /// The team leader declines, with a reason: back to the queue.
    Decline,
    /// The team starts serving.
    Start,
    /// The team completes, with a report (结项报告).
    Complete,
    /// The citizen rates (评单): closes the order.
    Rate,
    /// The citizen reopens a completed order, with a reason.
    Reopen,
    /// Unrated completed orders close by themselves after a while.
    AutoClose,
    /// The department answers a forwarded item.
    Reply,
    /// The department closes an answered item.
    CloseReplied,
}

impl Transition {
    /// The states this transition may start from, and where it leads.
    pub fn rule(self) -> (&'static [Status], Status) {
        use Status::*;
        match self {
            Transition::Dispatch => (&[Submitted], Dispatched),
            Transition::OpenForGrab => (&[Submitted], Open),
            Transition::Grab => (&[Open], Accepted),
            Transition::Forward => (&[Submitted], Forwarded),
            Transition::Reject => (&[Submitted], Rejected),
            Transition::Cancel => (&[Submitted, Dispatched, Open, Accepted], Cancelled),
            Transition::Accept => (&[Dispatched], Accepted),
            Transition::Decline => (&[Dispatched], Submitted),
            Transition::Start => (&[Accepted], InService),
            Transition::Complete => (&[InService], Completed),
            Transition::Rate => (&[Completed], Closed),
            Transition::Reopen => (&[Completed], Submitted),
            Transition::AutoClose => (&[Completed], Closed),
            Transition::Reply => (&[Forwarded], Replied),
            Transition::CloseReplied => (&[Replied], Closed),
        }
    }

    /// Where `self` leads from `from`, or the 409 that says why not.
    pub fn check(self, from: Status) -> Result<Status, ApiError> {
        let (sources, to) = self.rule();
        if sources.contains(&from) {
            Ok(to)
        } else {
            Err(ApiError::conflict(
                "wrong_state",
                format!("cannot {} an order that is {}", kit::wit_name(&self), from.as_str()),
            ))
        }
    }
}

/// What [`transition`] did: the state the order is in now, and the timeline entry
/// (`demand_events.id`) that records the move. Callers key what the move causes on that entry —
/// a message about it, a ledger posting it earned — so a retry of the same move finds the same
/// key, and nothing has to guess which row was written last on the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub to: Status,
    pub event_id: i64,
}

/// Moves order `id` from `from` by `transition`, inside the caller's transaction: updates the
/// row only if it is still `from` (else 409 with the state it is in now), and appends the
/// timeline entry. `set` adds column assignments (`"team_id = ?"`) with their values.
#[allow(clippy::too_many_arguments)] // each argument is one fact of the move; a struct would only rename them
pub fn transition(
    db: &Db,
    id: i64,
    from: Status,
    transition: Transition,
    actor: Option<i64>,
    note: &str,
    now: i64,
    set: &[(&str, Value)],
) -> Result<Moved, ApiError> {
    let to = transition.check(from)?;
    let mut sql = String::from("UPDATE demands SET status = ?, updated_at = ?");
    let mut params = vec![Value::Text(to.as_str().into()), Value::Integer(now)];
    for (assignment, value) in set {
        sql.push_str(", ");
        sql.push_str(assignment);
        params.push(value.clone());
    }
    sql.push_str(" WHERE id = ? AND status = ?");
    params.push(Value::Integer(id));
    params.push(Value::Text(from.as_str().into()));
    if db.exec(&sql, &params)? == 0 {
        let current = db
            .query_one("SELECT status FROM demands WHERE id = ?", &[Value::Integer(id)])?
            .map(|r| r.str("status"))
            .transpose()?
            .unwrap_or_else(|| "gone".into());
        return Err(ApiError::conflict(
            "wrong_state",
            format!("the order is {current} now; cannot {}", kit::wit_name(&transition)),
        ));
    }
    let event_id = record(db, id, Some(from), to, actor, note, now)?;
    Ok(Moved { to, event_id })
}

/// Appends a timeline entry (also used for the first one, when an order is placed) and returns
/// its id.
pub fn record(
    db: &Db,
    id: i64,
    from: Option<Status>,
    to: Status,
    actor: Option<i64>,
    note: &str,
    now: i64,
) -> Result<i64, ApiError> {
    db.insert(
        "INSERT INTO demand_events (demand_id, at, actor_id, from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?)",
        &[
            Value::Integer(id),
            Value::Integer(now),
            actor.map_or(Value::Null, Value::Integer),
            from.map_or(Value::Null, |s| Value::Text(s.as_str().into())),
            Value::Text(to.as_str().into()),
            Value::Text(note.to_string()),
        ],
    )
}

/// Priority from urgency: higher is served first.
pub fn priority(urgency: &str) -> Option<i64> {
    match urgency {
        "normal" => Some(1),
        "urgent" => Some(2),
        "critical" => Some(3),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Transition; 15] = [
        Transition::Dispatch,
        Transition::OpenForGrab,
        Transition::Grab,
        Transition::Forward,
        Transition::Reject,
        Transition::Cancel,
        Transition::Accept,
        Transition::Decline,
        Transition::Start,
        Transition::Complete,
        Transition::Rate,
        Transition::Reopen,
        Transition::AutoClose,
        Transition::Reply,
        Transition::CloseReplied,
    ];

    #[test]
    fn the_happy_path_is_allowed() {
        let mut s = Status::Submitted;
        for t in [Transition::Dispatch, Transition::Accept, Transition::Start, Transition::Complete, Transition::Rate] {
            s = t.check(s).unwrap();
        }
        assert_eq!(s, Status::Closed);
    }

    #[test]
    fn closed_rejected_and_cancelled_orders_move_no_further() {
        for end in [Status::Closed, Status::Rejected, Status::Cancelled] {
            for t in ALL {
                assert!(t.check(end).is_err(), "{t:?} from {end:?}");
            }
        }
    }

    #[test]
    fn a_declined_order_goes_back_to_the_queue_and_grabs_need_an_open_order() {
        assert_eq!(Transition::Decline.check(Status::Dispatched).unwrap(), Status::Submitted);
        assert!(Transition::Grab.check(Status::Submitted).is_err());
        assert!(Transition::Complete.check(Status::Accepted).is_err());
        assert!(Transition::Rate.check(Status::InService).is_err());
    }

    #[test]
    fn stored_names_round_trip() {
        for t in ALL {
            let (_, to) = t.rule();
            assert_eq!(Status::parse(to.as_str()).unwrap(), to);
        }
    }
}
