//! The roles a grant can give, by the kebab-case names the database, the API and the WIT
//! interface use (`role_grants.role`, `"centre-admin"`, `role::centre-admin`).

use std::fmt;
use std::str::FromStr;

/// A role granted at an org.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// 中心管理员: runs the county centre and everything below it.
    CentreAdmin,
    /// 实践所管理员: runs an institute (所) and its stations.
    InstituteAdmin,
    /// 实践站管理员: runs a station (站).
    StationAdmin,
    /// 队长: leads a volunteer team.
    TeamLeader,
    /// 志愿者: a registered volunteer.
    Volunteer,
    /// 群众: anyone signed in.
    Citizen,
    /// 部门经办人: handles orders dispatched to a department.
    DepartmentHandler,
    /// 审计员: reads, changes nothing.
    Auditor,
}

/// Why a text is not a role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl Role {
    /// Every role, most powerful first.
    pub const ALL: [Role; 8] = [
        Role::CentreAdmin,
        Role::InstituteAdmin,
        Role::StationAdmin,
        Role::TeamLeader,
        Role::Volunteer,
        Role::Citizen,
        Role::DepartmentHandler,
        Role::Auditor,
    ];

    /// The administrators of the org levels, from a station up to the centre.
    pub const ADMINS: [Role; 3] = [Role::StationAdmin, Role::InstituteAdmin, Role::CentreAdmin];

    /// The role's name, e.g. `centre-admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::CentreAdmin => "centre-admin",
            Role::InstituteAdmin => "institute-admin",
            Role::StationAdmin => "station-admin",
            Role::TeamLeader => "team-leader",
            Role::Volunteer => "volunteer",
            Role::Citizen => "citizen",
            Role::DepartmentHandler => "department-handler",
            Role::Auditor => "auditor",
        }
    }

    /// The role named exactly `name`.
    pub fn parse(name: &str) -> Result<Role, UnknownRole> {
        Role::ALL.into_iter().find(|r| r.as_str() == name).ok_or_else(|| UnknownRole(name.to_string()))
    }

    /// Whether the role administers an org level (station, institute or centre).
    pub fn is_admin(self) -> bool {
        Role::ADMINS.contains(&self)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kebab_case_and_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
            assert!(role.as_str().bytes().all(|b| b.is_ascii_lowercase() || b == b'-'), "{role}");
        }
        assert_eq!(Role::CentreAdmin.to_string(), "centre-admin");
        assert_eq!("team-leader".parse(), Ok(Role::TeamLeader));
        assert_eq!(Role::parse("Centre-Admin"), Err(UnknownRole("Centre-Admin".into())));
        assert!(Role::StationAdmin.is_admin() && !Role::TeamLeader.is_admin());
    }
}
