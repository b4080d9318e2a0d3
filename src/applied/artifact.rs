//! What Flux's source-controller serves of a repository: the artifact
//! without symbolic links, default exclusions and `.sourceignore` patterns.

use super::join;
use crate::error::Result;
use crate::tree::Tree;

/// What Flux's source-controller leaves out of the artifact it serves:
/// symbolic links, its default exclusions (fluxcd/pkg `sourceignore`) and
/// the patterns of the `.sourceignore` files, each scoped to its folder.
pub struct Artifact {
    ignore: ignore::gitignore::Gitignore,
}

/// fluxcd/pkg sourceignore: ExcludeVCS, ExcludeExt, ExcludeCI, ExcludeExtra.
const SOURCE_IGNORE_DEFAULTS: &[&str] = &[
    ".git/",
    ".gitignore",
    ".gitmodules",
    ".gitattributes",
    "*.jpg",
    "*.jpeg",
    "*.gif",
    "*.png",
    "*.wmv",
    "*.flv",
    "*.tar.gz",
    "*.zip",
    ".github/",
    ".circleci/",
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    "cloudbuild.yaml",
    "codeship-services.yml",
    "codeship-steps.yml",
    "**/.goreleaser.yml",
    "**/.sops.yaml",
    "**/.flux.yaml",
];

impl Artifact {
    /// The filter for building `dir`: the default exclusions, and the
    /// `.sourceignore` files of the root, of every folder above `dir`, and
    /// of every folder below it, each scoped to its folder (fluxcd/pkg
    /// `sourceignore.LoadIgnorePatterns`).
    pub fn of(tree: &dyn Tree, dir: &str) -> Result<Artifact> {
        let mut b = ignore::gitignore::GitignoreBuilder::new("/");
        for p in SOURCE_IGNORE_DEFAULTS {
            // Constant patterns, all valid.
            b.add_line(None, p).ok();
        }
        let mut folders = vec![String::new()];
        let mut at = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            at = join(&at, part);
            folders.push(at.clone());
        }
        let mut below = vec![dir.to_string()];
        while let Some(d) = below.pop() {
            for e in tree.list(&d)? {
                if e.is_dir && !e.symlink && e.name != ".git" {
                    let sub = join(&d, &e.name);
                    folders.push(sub.clone());
                    below.push(sub);
                }
            }
        }
        folders.sort();
        folders.dedup();
        for folder in folders {
            let Some(bytes) = tree.read(&join(&folder, ".sourceignore"))? else {
                continue;
            };
            for line in String::from_utf8_lossy(&bytes).lines() {
                if !line.starts_with('#') && !line.trim().is_empty() {
                    // A line the glob parser rejects is skipped: go-git's
                    // gitignore matcher, which the source-controller uses,
                    // has no error path and matches nothing with it.
                    b.add_line(None, &scoped(&folder, line)).ok();
                }
            }
        }
        Ok(Artifact {
            ignore: b
                .build()
                .unwrap_or_else(|_| ignore::gitignore::Gitignore::empty()),
        })
    }

    /// Whether the file or folder at `path` (from the root) is left out.
    pub fn leaves_out(&self, path: &str, is_dir: bool) -> bool {
        self.ignore
            .matched_path_or_any_parents(std::path::Path::new("/").join(path), is_dir)
            .is_ignore()
    }
}

/// A `.sourceignore` line of `folder`, as a pattern from the root: one
/// without an inner slash matches at any depth below its folder.
fn scoped(folder: &str, line: &str) -> String {
    if folder.is_empty() {
        return line.to_string();
    }
    let (neg, body) = match line.strip_prefix('!') {
        Some(rest) => ("!", rest),
        None => ("", line),
    };
    let dir_only = body.ends_with('/');
    let core = body.trim_end_matches('/');
    let anchored = core.trim_start_matches('/').contains('/') || core.starts_with('/');
    let pattern = if anchored {
        format!("/{folder}/{}", core.trim_start_matches('/'))
    } else {
        format!("/{folder}/**/{core}")
    };
    format!("{neg}{pattern}{}", if dir_only { "/" } else { "" })
}
