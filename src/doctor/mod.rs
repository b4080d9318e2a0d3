//! `flux-scaffold doctor`: an offline check of any repository (generated or
//! not) for the Pod Identity + Flux failure class. It reads the files,
//! models what Flux applies from each stage with [`crate::applied`], and
//! returns findings; it never prints (the CLI does).
//!
//! A folder holding `.flux-scaffold/` is a layout of its own: its
//! infrastructure code's paths are read from there, and its exceptions and
//! installs are weighed together. Everything else belongs to the folder
//! doctor was given.

pub mod report;
pub mod rules;
pub mod scan;
pub mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::error::{Error, Result};
use crate::tree::{DiskTree, Tree};

pub use report::{Finding, Severity};

/// Folders doctor never reads.
const SKIP: [&str; 5] = [
    ".git",
    ".flux-scaffold",
    ".terraform",
    "node_modules",
    "target",
];

/// Extensions of the files doctor reads.
const READ: [&str; 6] = ["yaml", "yml", "bicep", "tf", "sh", "bash"];

/// Rules from outside doctor (the migration's), run per layout over its
/// facts and the builds of its stages.
pub type ExtraRules<'a> = &'a dyn Fn(
    &dyn crate::tree::Tree,
    &scan::Facts,
    &[(String, crate::applied::Build)],
) -> Result<Vec<Finding>>;

/// Diagnose the repository at `root`: findings sorted by file and line.
pub fn run(root: &Path) -> Result<Vec<Finding>> {
    run_with(root, &|_, _, _| Ok(Vec::new()))
}

/// [`run`], with `extra` rules run per layout as well.
pub fn run_with(root: &Path, extra: ExtraRules) -> Result<Vec<Finding>> {
    if !root.is_dir() {
        return Err(Error::input(format!("{} is not a folder", root.display())));
    }
    let tree = DiskTree::new(root);
    let mut findings = Vec::new();
    for (layout, facts) in layouts(&tree)? {
        findings.extend(rules::check(&tree, &layout, &facts, extra)?);
    }
    findings.sort();
    findings.dedup();
    Ok(findings)
}

/// What the files of each layout below the root say (the root is the
/// layout ""), by layout folder.
pub fn layouts(tree: &DiskTree) -> Result<BTreeMap<String, scan::Facts>> {
    let mut files = Vec::new();
    let mut layouts = BTreeSet::from([String::new()]);
    walk(tree, "", &mut files, &mut layouts)?;
    let mut by_layout: BTreeMap<String, scan::Facts> = BTreeMap::new();
    for (path, text) in &files {
        let facts = by_layout
            .entry(owner(&layouts, path).to_string())
            .or_default();
        scan::file(path, text, facts);
    }
    for facts in by_layout.values_mut() {
        scan::finish(facts);
    }
    Ok(by_layout)
}

/// The layout a file belongs to: the nearest folder above it that is one.
fn owner<'a>(layouts: &'a BTreeSet<String>, path: &str) -> &'a str {
    let mut p = path;
    while let Some((dir, _)) = p.rsplit_once('/') {
        if let Some(l) = layouts.get(dir) {
            return l;
        }
        p = dir;
    }
    ""
}

fn walk(
    tree: &dyn Tree,
    dir: &str,
    files: &mut Vec<(String, String)>,
    layouts: &mut BTreeSet<String>,
) -> Result<()> {
    for e in tree.list(dir)? {
        let path = crate::applied::join(dir, &e.name);
        if e.is_dir {
            if e.name == crate::state::DIR && !dir.is_empty() {
                layouts.insert(dir.to_string());
            }
            if SKIP.contains(&e.name.as_str()) {
                continue;
            }
            walk(tree, &path, files, layouts)?;
            continue;
        }
        let ext = e.name.rsplit_once('.').map_or("", |(_, x)| x);
        if !READ.contains(&ext) {
            continue;
        }
        if let Some(bytes) = tree.read(&path)? {
            files.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(())
}

/// What installs or enables Pod Identity in the repository at `tree`
/// (doctor's reading: a HelmRelease of the chart, AzureIdentity objects,
/// the add-on in Bicep, az or Terraform), leaving out the files `skip`
/// names (the tool's own). Layouts below are read too: they deploy to the
/// same clusters as often as not.
pub fn pod_identity_installs(
    tree: &dyn Tree,
    skip: &dyn Fn(&str) -> bool,
) -> Result<Vec<scan::Install>> {
    let mut files = Vec::new();
    walk(tree, "", &mut files, &mut BTreeSet::new())?;
    let mut facts = scan::Facts::default();
    for (path, text) in files.iter().filter(|(p, _)| !skip(p)) {
        scan::file(path, text, &mut facts);
    }
    scan::finish(&mut facts);
    Ok(facts.installs)
}

/// The exit code for `findings` with `--fail-on`: 1 when any is at or
/// above it, else 0.
pub fn exit_code(findings: &[Finding], fail_on: Option<Severity>) -> i32 {
    match fail_on {
        Some(level) if findings.iter().any(|f| f.severity >= level) => 1,
        _ => 0,
    }
}
