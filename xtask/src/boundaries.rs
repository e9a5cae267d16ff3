//! The dependency rule of the workspace, checked against `cargo metadata`.
//!
//! Engine-free crates (the domain, the real-time pipeline and every
//! capability crate) must never pull in Bevy, directly or through another
//! crate, so that they stay fast to build, testable headless and usable
//! from any engine. Only `allverse-runtime` and the `allverse` binary may.

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// Crates that must stay free of any engine.
pub const ENGINE_FREE: &[&str] = &[
    "allverse-core",
    "allverse-pipeline",
    "allverse-captions",
    "allverse-speech",
    "allverse-interpret",
    "allverse-input",
    "allverse-home",
    "allverse-live",
    "allverse-tls",
];

/// A package is an engine if its name is one of these or starts with `bevy`.
fn is_engine(name: &str) -> bool {
    name == "bevy" || name.starts_with("bevy_") || name.starts_with("bevy-")
}

#[derive(Deserialize)]
struct Metadata {
    packages: Vec<Package>,
    resolve: Resolve,
}

#[derive(Deserialize)]
struct Package {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Resolve {
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    kind: Option<String>,
}

/// A path from an engine-free crate down to an engine crate.
#[derive(Debug, PartialEq)]
pub struct Violation {
    pub chain: Vec<String>,
}

/// Runs `cargo metadata` on the workspace and checks the rule.
pub fn check_workspace() -> Result<()> {
    let output = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1"])
        .current_dir(crate::workspace_root())
        .output()
        .context("running cargo metadata")?;
    if !output.status.success() {
        bail!("cargo metadata failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let violations = find_violations(&output.stdout)?;
    if violations.is_empty() {
        println!("[check-deps] ok: no engine-free crate ({}) depends on Bevy", ENGINE_FREE.join(", "));
        return Ok(());
    }
    for v in &violations {
        eprintln!("[check-deps] {} depends on an engine: {}", v.chain[0], v.chain.join(" -> "));
    }
    bail!("engine-free crates depend on Bevy; move that code into allverse-runtime")
}

/// Finds, for each engine-free crate, the first chain of normal or build
/// dependencies that reaches an engine crate (dev-dependencies don't ship).
pub fn find_violations(metadata_json: &[u8]) -> Result<Vec<Violation>> {
    let metadata: Metadata = serde_json::from_slice(metadata_json).context("parsing cargo metadata")?;
    let names: HashMap<&str, &str> =
        metadata.packages.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
    let edges: HashMap<&str, Vec<&str>> = metadata
        .resolve
        .nodes
        .iter()
        .map(|n| {
            let shipped = n
                .deps
                .iter()
                .filter(|d| d.dep_kinds.iter().any(|k| k.kind.as_deref() != Some("dev")))
                .map(|d| d.pkg.as_str())
                .collect();
            (n.id.as_str(), shipped)
        })
        .collect();

    let mut violations = Vec::new();
    for root in metadata.packages.iter().filter(|p| ENGINE_FREE.contains(&p.name.as_str())) {
        // Breadth-first, remembering parents to report the shortest chain.
        let mut parent: HashMap<&str, &str> = HashMap::new();
        let mut seen: HashSet<&str> = HashSet::from([root.id.as_str()]);
        let mut queue = std::collections::VecDeque::from([root.id.as_str()]);
        while let Some(id) = queue.pop_front() {
            if is_engine(names[id]) {
                let mut chain = vec![names[id].to_string()];
                let mut at = id;
                while let Some(&up) = parent.get(at) {
                    chain.push(names[up].to_string());
                    at = up;
                }
                chain.reverse();
                violations.push(Violation { chain });
                break;
            }
            for &dep in edges.get(id).into_iter().flatten() {
                if seen.insert(dep) {
                    parent.insert(dep, id);
                    queue.push_back(dep);
                }
            }
        }
    }
    Ok(violations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(edges: &[(&str, &str, &str)]) -> Vec<u8> {
        let mut names: Vec<&str> = edges.iter().flat_map(|(a, b, _)| [*a, *b]).collect();
        names.sort();
        names.dedup();
        let packages: Vec<_> = names.iter().map(|n| serde_json::json!({"id": n, "name": n})).collect();
        let nodes: Vec<_> = names
            .iter()
            .map(|n| {
                let deps: Vec<_> = edges
                    .iter()
                    .filter(|(from, _, _)| from == n)
                    .map(|(_, to, kind)| {
                        let kind = if kind.is_empty() { serde_json::Value::Null } else { (*kind).into() };
                        serde_json::json!({"pkg": to, "dep_kinds": [{"kind": kind}]})
                    })
                    .collect();
                serde_json::json!({"id": n, "deps": deps})
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({"packages": packages, "resolve": {"nodes": nodes}})).unwrap()
    }

    #[test]
    fn finds_an_indirect_engine_dependency() {
        let json = metadata(&[
            ("allverse-captions", "allverse-core", ""),
            ("allverse-core", "helper", ""),
            ("helper", "bevy_ecs", ""),
            ("allverse-runtime", "bevy", ""),
        ]);
        let violations = find_violations(&json).unwrap();
        assert_eq!(violations.len(), 2, "{violations:?}");
        assert!(violations.contains(&Violation {
            chain: vec!["allverse-core".into(), "helper".into(), "bevy_ecs".into()]
        }));
    }

    #[test]
    fn runtime_and_dev_dependencies_are_allowed() {
        let json = metadata(&[("allverse-runtime", "bevy", ""), ("allverse-core", "bevy", "dev")]);
        assert!(find_violations(&json).unwrap().is_empty());
    }

    #[test]
    fn this_workspace_obeys_the_rule() {
        check_workspace().unwrap();
    }
}
