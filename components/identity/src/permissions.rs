//! The permission table and the subtree rule: pure functions, no database.

use crate::bindings::{Action, Grant, Principal, Role};

use Role::{Auditor, CentreAdmin, Citizen, DepartmentHandler, InstituteAdmin, StationAdmin, TeamLeader, Volunteer};

/// Which roles may do which action — the table in `docs/directory-api.md`, kept here and nowhere
/// else so every step answers "may this person do that?" the same way. A role allows an action
/// in the whole subtree of the org where it is held.
///
/// Team leaders also decide membership of the teams they lead; that depends on
/// `teams.leader_account_id`, not on a role, and is decided by `kit::leads_team` (one rule for
/// every step).
pub const PERMISSIONS: &[(Action, &[Role])] = &[
    (
        Action::ReadDirectory,
        &[CentreAdmin, InstituteAdmin, StationAdmin, TeamLeader, Volunteer, Citizen, DepartmentHandler, Auditor],
    ),
    (Action::ManageOrgs, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::ManageAccounts, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::ReadVolunteers, &[CentreAdmin, InstituteAdmin, StationAdmin, TeamLeader, Auditor]),
    (Action::ReadVolunteersUnmasked, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::ManageVolunteers, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::ManageTeams, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::ReviewOrganisations, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::ManageDepartments, &[CentreAdmin]),
    (Action::ReadAudit, &[CentreAdmin, Auditor]),
    (Action::ReadOutbox, &[CentreAdmin]),
    (Action::ManageServiceMenu, &[CentreAdmin]),
    (Action::OrderForCitizens, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::DispatchOrders, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::HandleDepartmentItems, &[DepartmentHandler]),
    (Action::ManageSurveys, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::ReadSurveyResults, &[CentreAdmin, InstituteAdmin, StationAdmin, Auditor]),
    (Action::ManageRewards, &[CentreAdmin, InstituteAdmin, StationAdmin]),
    (Action::ManageEvaluations, &[CentreAdmin, InstituteAdmin]),
    (Action::ReadEvaluations, &[CentreAdmin, InstituteAdmin, StationAdmin, Auditor]),
];

/// Whether `role` may do `action` somewhere. An action missing from the table is allowed to
/// nobody, so forgetting a row fails closed.
pub fn allows(role: Role, action: Action) -> bool {
    PERMISSIONS.iter().find(|(a, _)| *a == action).is_some_and(|(_, roles)| roles.contains(&role))
}

/// Materialised paths always end in `/`; one is added when a caller left it off, so `/1/4` can
/// never match `/1/40/` by plain string prefix.
fn normalised(path: &str) -> String {
    if path.ends_with('/') {
        path.to_string()
    } else {
        format!("{path}/")
    }
}

/// Whether the org at `path` lies in the subtree rooted at `root` (itself included).
pub fn within(root: &str, path: &str) -> bool {
    normalised(path).starts_with(&normalised(root))
}

/// Whether some grant of `who` allows `action` at the org at `org_path`.
pub fn permits(who: &Principal, action: Action, org_path: &str) -> bool {
    who.grants.iter().any(|g: &Grant| allows(g.role, action) && within(&g.org_path, org_path))
}

/// The roots of the subtrees where `who` may do `action`: a path already covered by another
/// (an institute under a centre the same person administers) is dropped, so lists built from
/// these scopes never count a row twice.
pub fn scopes(who: &Principal, action: Action) -> Vec<String> {
    let mut paths: Vec<String> =
        who.grants.iter().filter(|g| allows(g.role, action)).map(|g| normalised(&g.org_path)).collect();
    paths.sort();
    paths.dedup();
    // Sorted, an ancestor comes before all of its descendants, so one pass keeps only roots.
    let mut roots: Vec<String> = Vec::with_capacity(paths.len());
    for p in paths {
        if !roots.iter().any(|r| p.starts_with(r.as_str())) {
            roots.push(p);
        }
    }
    roots
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_ACTIONS: [Action; 20] = [
        Action::ReadDirectory,
        Action::ManageOrgs,
        Action::ManageAccounts,
        Action::ReadVolunteers,
        Action::ReadVolunteersUnmasked,
        Action::ManageVolunteers,
        Action::ManageTeams,
        Action::ReviewOrganisations,
        Action::ManageDepartments,
        Action::ReadAudit,
        Action::ReadOutbox,
        Action::ManageServiceMenu,
        Action::OrderForCitizens,
        Action::DispatchOrders,
        Action::HandleDepartmentItems,
        Action::ManageSurveys,
        Action::ReadSurveyResults,
        Action::ManageRewards,
        Action::ManageEvaluations,
        Action::ReadEvaluations,
    ];

    fn principal(grants: &[(Role, &str)]) -> Principal {
        Principal {
            account_id: 1,
            name: "测试".into(),
            grants: grants
                .iter()
                .enumerate()
                .map(|(i, (role, path))| Grant { role: *role, org_id: i as i64, org_path: path.to_string() })
                .collect(),
        }
    }

    #[test]
    fn every_action_has_exactly_one_row() {
        for a in ALL_ACTIONS {
            assert_eq!(PERMISSIONS.iter().filter(|(x, _)| *x == a).count(), 1, "{a:?}");
        }
        assert_eq!(PERMISSIONS.len(), ALL_ACTIONS.len());
    }

    #[test]
    fn table_matches_the_contract() {
        // Counts of ✓ per column of docs/directory-api.md.
        let count = |role| ALL_ACTIONS.iter().filter(|a| allows(role, **a)).count();
        assert_eq!(count(CentreAdmin), 19);
        assert_eq!(count(InstituteAdmin), 15);
        assert_eq!(count(StationAdmin), 14);
        assert_eq!(count(TeamLeader), 2);
        assert_eq!(count(Volunteer), 1);
        assert_eq!(count(Citizen), 1);
        assert_eq!(count(DepartmentHandler), 2);
        assert_eq!(count(Auditor), 5);
        assert!(allows(Auditor, Action::ReadAudit));
        assert!(!allows(Auditor, Action::ReadVolunteersUnmasked));
        assert!(!allows(InstituteAdmin, Action::ManageDepartments));
        assert!(!allows(InstituteAdmin, Action::ReadOutbox));
        assert!(allows(TeamLeader, Action::ReadVolunteers));
    }

    #[test]
    fn a_role_reaches_its_subtree_only() {
        let who = principal(&[(InstituteAdmin, "/1/4/")]);
        assert!(permits(&who, Action::ManageOrgs, "/1/4/"));
        assert!(permits(&who, Action::ManageOrgs, "/1/4/17/"));
        assert!(permits(&who, Action::ManageOrgs, "/1/4/17"));
        assert!(!permits(&who, Action::ManageOrgs, "/1/"));
        assert!(!permits(&who, Action::ManageOrgs, "/1/40/"));
        assert!(!permits(&who, Action::ManageOrgs, "/1/5/17/"));
        assert!(!permits(&who, Action::ManageDepartments, "/1/4/"));
    }

    #[test]
    fn any_grant_may_allow() {
        let who = principal(&[(Volunteer, "/1/"), (StationAdmin, "/1/4/17/")]);
        assert!(permits(&who, Action::ReadDirectory, "/1/5/"));
        assert!(permits(&who, Action::ManageVolunteers, "/1/4/17/203/"));
        assert!(!permits(&who, Action::ManageVolunteers, "/1/4/"));
    }

    #[test]
    fn scopes_drop_nested_and_duplicate_paths() {
        let who = principal(&[
            (StationAdmin, "/1/4/17/"),
            (InstituteAdmin, "/1/4/"),
            (CentreAdmin, "/1/40/"),
            (StationAdmin, "/1/4/"),
            (Volunteer, "/2/"),
        ]);
        assert_eq!(scopes(&who, Action::ManageOrgs), vec!["/1/4/", "/1/40/"]);
        assert_eq!(scopes(&who, Action::ReadDirectory), vec!["/1/4/", "/1/40/", "/2/"]);
        assert_eq!(scopes(&who, Action::ManageDepartments), vec!["/1/40/"]);
        assert!(scopes(&principal(&[(Citizen, "/1/")]), Action::ReadAudit).is_empty());
    }
}
