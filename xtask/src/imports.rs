//! The import rule inside a crate: modules may import each other only one way, so no circle forms.
//!
//! Every module file is a node; a path that names another module (`use
//! crate::session::SessionClock`, `super::state::MenuState`,
//! `dispatch::dispatch` for a child module) is an edge to the deepest module
//! file it reaches. A circle (a strongly connected set of two or more files)
//! means the layers have run together: the next change has nowhere clear to
//! go. `cargo xtask check-imports` (also run by `cargo xtask test`) fails
//! and prints each circle with one import that closes it.

use anyhow::{Context, Result, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Crates whose modules must not import each other in a circle.
pub const LAYERED_CRATES: &[&str] = &["crates/runtime"];

/// One module file and the module files its paths lead to.
#[derive(Debug)]
struct ModuleFile {
    /// `crate`, `crate::input`, `crate::input::state`, …
    name: String,
    path: PathBuf,
    /// Target module name → one path, as written, that leads there.
    imports: BTreeMap<String, String>,
}

/// A circle of modules, each importing the next, the last importing the first.
#[derive(Debug, PartialEq, Eq)]
pub struct Circle {
    pub modules: Vec<String>,
    /// For each module in the circle: its file and a path in it that names the next.
    pub evidence: Vec<String>,
}

/// Checks every crate in [`LAYERED_CRATES`] and fails listing the circles found.
pub fn check_workspace() -> Result<()> {
    let mut failures = Vec::new();
    for krate in LAYERED_CRATES {
        let src = crate::workspace_root().join(krate).join("src");
        let circles = find_circles(&src)?;
        println!("[check-imports] {krate}: {} circle(s) between modules", circles.len());
        for circle in circles {
            failures.push(format!(
                "{krate}: {}\n  {}",
                circle.modules.join(" → "),
                circle.evidence.join("\n  ")
            ));
        }
    }
    if !failures.is_empty() {
        bail!(
            "[check-imports] modules import each other in a circle; move what both need into a module below them:\n{}",
            failures.join("\n")
        );
    }
    Ok(())
}

/// The import circles among the module files under `src` (a crate's `src`, with `lib.rs` or `main.rs`).
pub fn find_circles(src: &Path) -> Result<Vec<Circle>> {
    let root = ["lib.rs", "main.rs"].iter().map(|f| src.join(f)).find(|p| p.exists());
    let root = root.with_context(|| format!("{} has no lib.rs or main.rs", src.display()))?;
    let mut files = Vec::new();
    collect(&root, "crate".into(), &mut files)?;
    let known: BTreeSet<String> = files.iter().map(|f| f.name.clone()).collect();
    let edges: BTreeMap<&str, BTreeMap<String, String>> = files
        .iter()
        .map(|f| {
            let mut targets = BTreeMap::new();
            for (target, written) in &f.imports {
                if let Some(module) = deepest_module(target, &known).filter(|m| *m != f.name) {
                    targets.entry(module).or_insert_with(|| written.clone());
                }
            }
            (f.name.as_str(), targets)
        })
        .collect();
    let path_of: BTreeMap<&str, &Path> = files.iter().map(|f| (f.name.as_str(), f.path.as_path())).collect();
    Ok(strongly_connected(&edges)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| circle_through(&component, &edges, &path_of))
        .collect())
}

/// Parses a module file and, recursively, the files of the modules it declares.
fn collect(path: &Path, name: String, out: &mut Vec<ModuleFile>) -> Result<()> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file = syn::parse_file(&text).with_context(|| format!("parsing {}", path.display()))?;
    let dir = if path.file_name().is_some_and(|f| f == "lib.rs" || f == "main.rs" || f == "mod.rs") {
        path.parent().expect("a file has a folder").to_path_buf()
    } else {
        path.with_extension("")
    };
    let mut visitor = PathVisitor {
        module: name.clone(),
        inline: Vec::new(),
        children: Vec::new(),
        imports: BTreeMap::new(),
    };
    visitor.children = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(m) if m.content.is_none() => Some(m.ident.to_string()),
            _ => None,
        })
        .collect();
    visitor.visit_file(&file);
    let children = visitor.children.clone();
    out.push(ModuleFile { name: name.clone(), path: path.to_path_buf(), imports: visitor.imports });
    for child in children {
        let file = [dir.join(format!("{child}.rs")), dir.join(&child).join("mod.rs")]
            .into_iter()
            .find(|p| p.exists())
            .with_context(|| format!("{}: no file for `mod {child};`", path.display()))?;
        collect(&file, format!("{name}::{child}"), out)?;
    }
    Ok(())
}

/// Finds the module paths a file names.
struct PathVisitor {
    /// The file's module, e.g. `crate::input`.
    module: String,
    /// Inline modules (`mod tests { … }`) the visitor is inside.
    inline: Vec<String>,
    /// Child modules declared in the file (`mod state;`), which paths may name without `self::`.
    children: Vec<String>,
    imports: BTreeMap<String, String>,
}

impl PathVisitor {
    /// Records a path given as segments, resolved against where it is written.
    fn record(&mut self, segments: &[String]) {
        let Some(first) = segments.first() else { return };
        let here: Vec<&str> = self.module.split("::").chain(self.inline.iter().map(String::as_str)).collect();
        let (mut base, rest): (Vec<&str>, &[String]) = match first.as_str() {
            "crate" => (vec!["crate"], &segments[1..]),
            "self" => (here.clone(), &segments[1..]),
            "super" => {
                let mut base = here.clone();
                let mut rest = segments;
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
                (base, rest)
            }
            child if self.inline.is_empty() && self.children.iter().any(|c| c == child) => {
                (here.clone(), segments)
            }
            _ => return,
        };
        base.extend(rest.iter().map(String::as_str));
        // Inside `mod tests`, `super::*` names the file's own module: no edge.
        self.imports.entry(base.join("::")).or_insert_with(|| segments.join("::"));
    }
}

impl<'ast> Visit<'ast> for PathVisitor {
    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.inline.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.inline.pop();
        }
    }

    /// `pub(super)` names a module but imports nothing.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut paths = Vec::new();
        flatten_use(&item.tree, &mut Vec::new(), &mut paths);
        for path in paths {
            self.record(&path);
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.record(&segments);
        syn::visit::visit_path(self, path);
    }
}

/// Every path a `use` tree names, as segments (a glob names its module).
fn flatten_use(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => out.push([prefix.as_slice(), &[n.ident.to_string()]].concat()),
        syn::UseTree::Rename(r) => out.push([prefix.as_slice(), &[r.ident.to_string()]].concat()),
        syn::UseTree::Glob(_) => out.push(prefix.clone()),
        syn::UseTree::Group(g) => g.items.iter().for_each(|item| flatten_use(item, prefix, out)),
    }
}

/// The deepest known module along `path` (`crate::input::state::MenuState` → `crate::input::state`).
fn deepest_module(path: &str, known: &BTreeSet<String>) -> Option<String> {
    let mut candidate = path;
    loop {
        if known.contains(candidate) {
            return Some(candidate.to_string());
        }
        candidate = &candidate[..candidate.rfind("::")?];
    }
}

/// Tarjan's algorithm: the strongly connected components of the import graph.
fn strongly_connected(edges: &BTreeMap<&str, BTreeMap<String, String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<&'a str, BTreeMap<String, String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        stack: Vec<String>,
        on_stack: BTreeSet<String>,
        components: Vec<Vec<String>>,
    }
    fn visit(node: &str, state: &mut State) {
        let next = state.index.len();
        state.index.insert(node.into(), next);
        state.low.insert(node.into(), next);
        state.stack.push(node.into());
        state.on_stack.insert(node.into());
        for target in state.edges.get(node).into_iter().flat_map(|t| t.keys()) {
            if !state.index.contains_key(target) {
                visit(target, state);
                let low = state.low[node].min(state.low[target]);
                state.low.insert(node.into(), low);
            } else if state.on_stack.contains(target) {
                let low = state.low[node].min(state.index[target]);
                state.low.insert(node.into(), low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(member) = state.stack.pop() {
                state.on_stack.remove(&member);
                let done = member == node;
                component.push(member);
                if done {
                    break;
                }
            }
            component.sort();
            state.components.push(component);
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for node in edges.keys() {
        if !state.index.contains_key(*node) {
            visit(node, &mut state);
        }
    }
    state.components
}

/// One circle inside a strongly connected component, from its first module
/// back to it, with a path in each module that names the next.
fn circle_through(
    component: &[String],
    edges: &BTreeMap<&str, BTreeMap<String, String>>,
    path_of: &BTreeMap<&str, &Path>,
) -> Circle {
    let members: BTreeSet<&str> = component.iter().map(String::as_str).collect();
    let start = component[0].as_str();
    // Breadth-first from the start to itself, staying inside the component.
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut closing = None;
    while let Some(node) = queue.pop_front() {
        for target in edges[node].keys().map(String::as_str).filter(|t| members.contains(t)) {
            if target == start {
                closing = Some(node);
                break;
            }
            if !came_from.contains_key(target) {
                came_from.insert(target, node);
                queue.push_back(target);
            }
        }
        if closing.is_some() {
            break;
        }
    }
    let mut modules = vec![start.to_string()];
    let mut node = closing.expect("a component of two or more has a circle through each member");
    while node != start {
        modules.insert(1, node.to_string());
        node = came_from[node];
    }
    let evidence = modules
        .iter()
        .zip(modules.iter().cycle().skip(1))
        .map(|(from, to)| {
            let written = &edges[from.as_str()][to];
            format!("{} names `{written}`", path_of[from.as_str()].display())
        })
        .collect();
    Circle { modules, evidence }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn one_way_imports_pass() {
        let dir = crate_with(&[
            ("lib.rs", "mod core; mod feature; pub use feature::Plugin;"),
            ("core.rs", "pub struct Clock;"),
            ("feature/mod.rs", "mod state; pub use state::State; use crate::core::Clock; pub struct Plugin;"),
            (
                "feature/state.rs",
                "use crate::core::Clock; pub struct State(Clock); mod tests { use super::*; }",
            ),
        ]);
        assert_eq!(find_circles(dir.path()).unwrap(), vec![]);
    }

    #[test]
    fn a_feature_imported_by_the_core_is_a_circle() {
        let dir = crate_with(&[
            ("lib.rs", "mod session; mod captions;"),
            ("session.rs", "use crate::captions::CaptionPlugin; pub struct Clock;"),
            ("captions.rs", "fn f(_: crate::session::Clock) {}\npub struct CaptionPlugin;"),
        ]);
        let circles = find_circles(dir.path()).unwrap();
        assert_eq!(circles.len(), 1, "{circles:?}");
        assert_eq!(circles[0].modules, ["crate::captions", "crate::session"]);
        assert!(circles[0].evidence[0].ends_with("captions.rs names `crate::session::Clock`"), "{circles:?}");
    }

    #[test]
    fn a_child_importing_its_parent_through_super_is_a_circle() {
        let dir = crate_with(&[
            ("lib.rs", "mod input;"),
            ("input/mod.rs", "mod effects;\npub struct Router;\npub(crate) fn f() { effects::run(); }"),
            ("input/effects.rs", "use super::{Router};\npub fn run() {}"),
        ]);
        let circles = find_circles(dir.path()).unwrap();
        assert_eq!(circles.len(), 1, "{circles:?}");
        assert_eq!(circles[0].modules, ["crate::input", "crate::input::effects"]);
    }

    #[test]
    fn this_workspace_has_no_import_circles() {
        for krate in LAYERED_CRATES {
            let circles = find_circles(&crate::workspace_root().join(krate).join("src")).unwrap();
            assert!(circles.is_empty(), "{krate}: {circles:#?}");
        }
    }
}
