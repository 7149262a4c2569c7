//! Workflow definition files (`workflows/*.toml`, `goldcard workflow check FILE`): any
//! text loads or is refused with a reason, never a panic; a definition that loads can draw
//! itself.
#![no_main]

use goldcard_workflow::{Registry, Workflow};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::standard)
}

fuzz_target!(|text: &str| {
    match Workflow::parse("fuzz.toml", text, registry()) {
        Ok(w) => {
            let _ = w.to_dot();
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
