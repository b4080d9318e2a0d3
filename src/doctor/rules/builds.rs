//! Stages Flux cannot build: a path to no folder (FS008), build errors
//! (FS009), and kustomization files with the article's typo (FS014).

use std::collections::BTreeSet;

use super::Ctx;
use crate::doctor::report::Finding;
use crate::error::Result;
use crate::tree::Tree;

impl Ctx<'_> {
    // FS008, FS009
    pub(super) fn stages(&mut self) -> Result<()> {
        let mut seen = BTreeSet::new();
        for (stage, built) in &self.builds {
            let Some((dir, build)) = built else { continue };
            let where_ = format!(
                "stage {} (path {})",
                stage.name,
                stage.path.as_deref().unwrap_or("")
            );
            if build.missing {
                self.out.push(
                    Finding::new(
                        "FS008",
                        &stage.file,
                        stage.line,
                        format!("{where_}: the folder {dir} does not exist in the repository, so Flux fails the kustomization"),
                    )
                    .fix("create the folder with a kustomization.yaml, or point the path at an existing folder"),
                );
                continue;
            }
            for e in &build.errors {
                if !seen.insert(e.clone()) {
                    continue;
                }
                let (file, line) = match locate(e, self.tree) {
                    Some((file, needle)) => {
                        let line = self.line_in(&file, &needle);
                        (file, line)
                    }
                    None => (stage.file.clone(), stage.line),
                };
                // A file with the article's typo fails the build: FS014 says why.
                if self.facts.typos.iter().any(|(f, _, _)| *f == file) {
                    continue;
                }
                self.out.push(
                    Finding::new(
                        "FS009",
                        &file,
                        line,
                        format!("Flux cannot build {where_}: {e}"),
                    )
                    .fix("make every entry point at a file or folder that exists, and define each object once"),
                );
            }
        }
        Ok(())
    }

    // FS014
    pub(super) fn typos(&mut self) {
        for (file, line, message) in &self.facts.typos {
            self.out.push(
                Finding::new("FS014", file, *line, message.clone())
                    .fix("name the file kustomization.yaml and write kind: Kustomization (apiVersion kustomize.config.k8s.io/v1beta1)"),
            );
        }
    }
}

/// The file (and a text to find its line) a build error is about.
fn locate(e: &str, tree: &dyn Tree) -> Option<(String, String)> {
    if let Some(rest) = e.strip_prefix("Flux's generated kustomization fails on ") {
        return Some((rest.split(": ").next()?.to_string(), String::new()));
    }
    if let Some((id, rest)) = e.split_once(" is defined twice (") {
        let files = rest.split(')').next()?;
        let second = files.split(" and ").nth(1)?;
        let name = id.rsplit('/').next()?;
        return Some((second.to_string(), format!("name: {name}")));
    }
    let (file, rest) = e.split_once(": ")?;
    tree.read(file).ok()??;
    let needle = rest
        .strip_prefix("entry \"")
        .and_then(|r| r.split('"').next())
        .unwrap_or("")
        .to_string();
    Some((file.to_string(), needle))
}
