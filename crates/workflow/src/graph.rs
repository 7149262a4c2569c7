//! Drawing a definition as a Graphviz DOT graph (SVG is rendered from it by the CLI).

use crate::definition::{Target, Workflow};
use std::fmt::Write;

/// A DOT string literal; `\n` in `s` stays a DOT line break, quotes are escaped.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

impl Workflow {
    /// The definition as a DOT digraph: states (terminal ones double-bordered), one edge per
    /// event and target, labelled with the event and the roles that may fire it.
    pub fn to_dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph {} {{", quote(&self.name));
        let _ = writeln!(out, "  rankdir=LR;");
        let _ = writeln!(out, "  node [shape=box];");
        for s in &self.states {
            let shape = if s.terminal { "doublecircle" } else { "box" };
            let _ = writeln!(
                out,
                "  {} [shape={shape}, label={}];",
                s.name,
                quote(&format!("{}\\n{}", s.name, s.label_zh))
            );
        }
        for e in &self.edges {
            let roles: Vec<&str> = e.roles.iter().map(|r| r.as_str()).collect();
            let label = quote(&format!("{}\\n({})", e.event, roles.join(", ")));
            if e.create {
                if let Target::State(t) = e.to {
                    let _ = writeln!(out, "  start [shape=circle, label={}];", quote(""));
                    let _ = writeln!(out, "  start -> {} [label={label}];", self.state(t).name);
                }
                continue;
            }
            for &f in &e.from {
                for t in self.targets(e, f) {
                    let style = if e.to == Target::Return { ", style=dashed" } else { "" };
                    let _ = writeln!(
                        out,
                        "  {} -> {} [label={label}{style}];",
                        self.state(f).name,
                        self.state(t).name
                    );
                }
            }
        }
        out.push_str("}\n");
        out
    }
}
