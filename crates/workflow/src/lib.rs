//! The workflow engine: loads definitions from `workflows/*.toml`, validates them, and
//! decides transitions as a pure function (no I/O, no database).
//!
//! A handler asks [`Workflow::decide`] "may actor X fire event E on case C now?" and gets
//! back a [`Decision`] (next state, changes, notifications, SLA) or a typed [`Refusal`].
//! The store applies a decision atomically.

mod decision;
mod definition;
mod graph;
mod registry;
mod role;

pub use decision::{
    AccountId, Actor, Attachment, CaseFacts, Change, Context, Decision, Env, EventRequest, FieldError, Refusal,
    RejectionGrounds, SlaChange, SupplementFacts, SupplementItem,
};
pub use definition::{
    ActorRule, AgencyRef, Condition, DefinitionError, DefinitionProblem, Edge, EffectRef, GuardRef, NotifySpec,
    Recipient, RoleDef, SlaPhase, State, StateId, Target, Workflow,
};
pub use registry::{EffectFn, EffectSpec, GuardFn, GuardSpec, MAX_TEXT, Registry};
pub use role::{Role, UnknownRole};

/// The extension definition shipped in `workflows/`, compiled in so that the engine's own
/// tests and benchmarks use exactly the file the service loads.
pub const EXTENSION_DEFINITION: &str = include_str!("../../../workflows/gold-card-extension.toml");

/// Loads and validates a definition file from disk.
pub fn load_file(path: &std::path::Path, registry: &Registry) -> Result<Workflow, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    Ok(Workflow::parse(&path.display().to_string(), &text, registry)?)
}

/// A definition file that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid definition.
    #[error(transparent)]
    Invalid(#[from] DefinitionError),
}
