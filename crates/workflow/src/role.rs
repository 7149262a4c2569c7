//! The roles of roles.md. Which role may do what is decided by the casbin policy (routes)
//! and by the workflow definitions (events); this is only the vocabulary.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role an account holds (roles.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A holder, employer or agency filing and following its own cases.
    Applicant,
    /// Workforce Development Agency reviewer.
    LaborReviewer,
    /// Workforce Development Agency supervisor.
    LaborSupervisor,
    /// National Immigration Agency officer.
    ImmigrationOfficer,
    /// National Immigration Agency supervisor.
    ImmigrationSupervisor,
    /// Taiwan Gold Card Office helpdesk.
    Helpdesk,
    /// Records payments received at a counter.
    Cashier,
    /// The payment gateway service.
    PaymentGateway,
    /// Accounts, roles, policies, health; no case decisions.
    Admin,
    /// The scheduler; no person holds it.
    System,
}

impl Role {
    /// Every role, in the order of roles.md.
    pub const ALL: [Role; 10] = [
        Role::Applicant,
        Role::LaborReviewer,
        Role::LaborSupervisor,
        Role::ImmigrationOfficer,
        Role::ImmigrationSupervisor,
        Role::Helpdesk,
        Role::Cashier,
        Role::PaymentGateway,
        Role::Admin,
        Role::System,
    ];

    /// The role's identifier as used in the API, the policy and the definitions.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Applicant => "applicant",
            Role::LaborReviewer => "labor_reviewer",
            Role::LaborSupervisor => "labor_supervisor",
            Role::ImmigrationOfficer => "immigration_officer",
            Role::ImmigrationSupervisor => "immigration_supervisor",
            Role::Helpdesk => "helpdesk",
            Role::Cashier => "cashier",
            Role::PaymentGateway => "payment_gateway",
            Role::Admin => "admin",
            Role::System => "system",
        }
    }

    /// Whether this role belongs to a person working in an agency (has a back-office login).
    pub fn is_officer(self) -> bool {
        matches!(
            self,
            Role::LaborReviewer
                | Role::LaborSupervisor
                | Role::ImmigrationOfficer
                | Role::ImmigrationSupervisor
                | Role::Helpdesk
                | Role::Cashier
                | Role::Admin
        )
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of roles.md's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
