//! Embeds the built-in packs' names and versions into `--version`, and makes
//! cargo rebuild when any template changes (include_dir does not track them).

use std::fs;

fn main() {
    println!("cargo:rerun-if-changed=templates");
    let mut packs = Vec::new();
    if let Ok(dirs) = fs::read_dir("templates") {
        for dir in dirs.flatten() {
            let manifest = dir.path().join("pack.yaml");
            println!("cargo:rerun-if-changed={}", manifest.display());
            let Ok(text) = fs::read_to_string(&manifest) else {
                continue;
            };
            let field = |key: &str| {
                text.lines()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().trim_matches('"').to_string())
            };
            if let (Some(name), Some(version)) = (field("name:"), field("version:")) {
                packs.push(format!("{name} {version}"));
            }
        }
    }
    packs.sort();
    println!(
        "cargo:rustc-env=FLUX_SCAFFOLD_VERSION={} (packs: {})",
        env!("CARGO_PKG_VERSION"),
        packs.join(", ")
    );
}
