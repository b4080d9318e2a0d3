//! `packs upgrade`: rewrite a schema 1 pack folder as schema 2 in place.
//! pack.yaml is rewritten line by line, so its comments and layout stay;
//! the result must parse to exactly the pack it was, in schema 2, or the
//! upgrade refuses and writes nothing. Templates are copied to `*.tera`
//! before pack.yaml names them and removed after, so the folder is a
//! working pack at every step.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_yaml::Value;

use crate::apply::{Fs, RealFs};
use crate::error::{Error, Result};
use crate::pack::{Manifest, Pack};
use crate::pack_schema::{self, CURRENT};

/// What an upgrade did.
#[derive(Debug, PartialEq, Eq)]
pub enum Upgraded {
    /// The pack already had schema 2: nothing was written.
    AlreadyCurrent,
    /// Rewritten; the templates renamed, old name to new.
    Rewritten(Vec<(String, String)>),
}

/// The line `requires:` gets when the pack has none.
pub const REQUIRES: &str = ">=0.2";

pub fn upgrade(dir: &Path) -> Result<Upgraded> {
    let pack = Pack::from_dir(dir)?;
    let m = &pack.manifest;
    if m.schema >= CURRENT {
        return Ok(Upgraded::AlreadyCurrent);
    }
    let root = dir
        .canonicalize()
        .map_err(|e| Error::io(dir, "read folder", &e))?;
    let yaml_path = root.join("pack.yaml");
    let text =
        std::fs::read_to_string(&yaml_path).map_err(|e| Error::io(&yaml_path, "read", &e))?;
    let refuse = |why: String| {
        Error::input(format!(
            "cannot upgrade {}: {why}; nothing written",
            yaml_path.display()
        ))
    };
    check_files(m).map_err(refuse)?;
    let defaults = list_defaults(m).map_err(refuse)?;
    let new_text = rewrite(&text, m, &defaults).map_err(refuse)?;
    verify(&new_text, m, &defaults).map_err(refuse)?;
    let renames = template_renames(m);
    // The copies first, checked before any is written.
    let mut copies = Vec::new();
    for (old, new) in &renames {
        let bytes = pack.read(old)?;
        let dest = root.join(new);
        if let Ok(there) = std::fs::read(&dest)
            && there != bytes
        {
            return Err(refuse(format!("{new} exists and differs from {old}")));
        }
        let executable = is_executable(&root.join(old));
        copies.push((dest, bytes, executable));
    }
    let mut fs = RealFs;
    for (dest, bytes, executable) in &copies {
        write(&mut fs, dest, bytes, *executable)?;
    }
    write(&mut fs, &yaml_path, new_text.as_bytes(), false)?;
    for (old, _) in &renames {
        let path = root.join(old);
        fs.remove_file(&path)
            .map_err(|e| Error::io(&path, "remove the old template", &e))?;
    }
    Ok(Upgraded::Rewritten(renames))
}

fn write(fs: &mut RealFs, path: &Path, bytes: &[u8], executable: bool) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs.write_atomic(dir, path, bytes, executable)
        .map_err(|e| Error::io(path, "write", &e))
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(_: &Path) -> bool {
    false
}

/// Each template once, with its schema 2 name.
fn template_renames(m: &Manifest) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = m
        .files
        .iter()
        .filter_map(|f| f.template.clone())
        .map(|t| (t.clone(), format!("{t}.tera")))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Whether `path` is a plain relative path (no `.`, `..`, doubled or
/// trailing `/`); the error gives the spelling it should have.
fn plain(path: &str) -> std::result::Result<(), String> {
    use std::path::Component;
    let mut parts = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy()),
            Component::CurDir => {}
            _ => return Err(format!("'{path}' is not a relative path inside the pack")),
        }
    }
    let norm = parts.join("/");
    if norm != path {
        return Err(format!(
            "'{path}' is not written plainly (write it '{norm}')"
        ));
    }
    Ok(())
}

/// What would make the renames clash, checked before anything is written:
/// a path spelled two ways, a template whose new name is another entry's
/// file, a file both rendered and copied.
fn check_files(m: &Manifest) -> std::result::Result<(), String> {
    let templates: BTreeSet<&str> = m
        .files
        .iter()
        .filter_map(|f| f.template.as_deref())
        .collect();
    let copies: BTreeSet<&str> = m.files.iter().filter_map(|f| f.copy.as_deref()).collect();
    for path in templates.iter().chain(&copies) {
        plain(path)?;
    }
    for t in &templates {
        let new = format!("{t}.tera");
        if templates.contains(new.as_str()) || copies.contains(new.as_str()) {
            return Err(format!(
                "'{t}' would be renamed '{new}', which the pack already uses; rename it by hand"
            ));
        }
        if copies.contains(t) {
            return Err(format!(
                "'{t}' is both a template and a copied file; give the copy its own file"
            ));
        }
    }
    Ok(())
}

/// The schema 2 default of every list question whose default is a string.
fn list_defaults(m: &Manifest) -> std::result::Result<BTreeMap<String, Value>, String> {
    let mut out = BTreeMap::new();
    let lists: BTreeSet<&str> = m
        .questions
        .iter()
        .filter(|q| q.is_list())
        .map(|q| q.key.as_str())
        .collect();
    for q in m.questions.iter().filter(|q| q.is_list()) {
        if let Some(Value::String(s)) = &q.default {
            let items = crate::pack_upgrade_default::convert(s, &lists)
                .map_err(|why| format!("the default of '{}' ({s:?}): {why}", q.key))?;
            out.insert(q.key.clone(), Value::Sequence(items));
        }
    }
    Ok(out)
}

/// What the pack must read as once upgraded.
fn expected(m: &Manifest, defaults: &BTreeMap<String, Value>) -> Manifest {
    let mut want = m.clone();
    want.schema = CURRENT;
    want.requires = Some(m.requires.clone().unwrap_or_else(|| REQUIRES.into()));
    for f in &mut want.files {
        if let Some(t) = &mut f.template {
            t.push_str(".tera");
        }
    }
    for q in &mut want.questions {
        if let Some(d) = defaults.get(&q.key) {
            q.default = Some(d.clone());
        }
    }
    want
}

fn verify(
    new_text: &str,
    m: &Manifest,
    defaults: &BTreeMap<String, Value>,
) -> std::result::Result<(), String> {
    let got = pack_schema::read(new_text, "pack.yaml")
        .map_err(|e| format!("its rewritten form does not load ({e}); convert it by hand"))?;
    let as_json = |m: &Manifest| serde_json::to_value(m).unwrap_or_default();
    if as_json(&got) != as_json(&expected(m, defaults)) {
        return Err(
            "its layout defeats a line-by-line rewrite (keys written in flow style, or out of the usual order); convert it by hand".into(),
        );
    }
    Ok(())
}

/// pack.yaml rewritten: `schema: 2` and `requires` before the first key,
/// snake_case keys, `*.tera` templates, list defaults as lists.
fn rewrite(
    text: &str,
    m: &Manifest,
    defaults: &BTreeMap<String, Value>,
) -> std::result::Result<String, String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut header_done = false;
    let mut in_questions = false;
    let mut question: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim_start();
        let indent = body.len() - trimmed.len();
        // A top-level key; a list written without indentation (`- key: x`
        // right under `questions:`) stays in its key's block.
        let item = trimmed.starts_with("- ") || trimmed == "-";
        if indent == 0 && !item && !trimmed.is_empty() && !trimmed.starts_with('#') {
            if trimmed.starts_with("schema:") {
                continue;
            }
            if !header_done {
                out.push_str(&format!("schema: {CURRENT}\n"));
                if m.requires.is_none() {
                    out.push_str(&format!("requires: \"{REQUIRES}\"\n"));
                }
                header_done = true;
            }
            in_questions = trimmed.starts_with("questions:");
            question = None;
        }
        let (lead, key, rest) = split_key(body);
        match key {
            "key" if in_questions => {
                question = serde_yaml::from_str::<String>(rest).ok();
            }
            "default" if in_questions => {
                if let Some(items) = question.as_ref().and_then(|q| defaults.get(q)) {
                    // The default's own lines: those indented past its key.
                    let column = lead.len();
                    while i < lines.len() && continues(lines[i], column) {
                        i += 1;
                    }
                    out.push_str(&block_list(lead, items)?);
                    continue;
                }
            }
            "kustomize-resources"
            | "kustomize-patches"
            | "kustomize-retire"
            | "keep-namespace"
            | "provided-by"
            | "pod-identity-installed"
            | "fresh-folder" => {
                out.push_str(&format!("{lead}{}:{rest}", key.replace('-', "_")));
                out.push_str(&line[body.len()..]);
                continue;
            }
            "template" => {
                out.push_str(&format!("{lead}template: {}", tera_name(rest.trim())));
                out.push_str(&line[body.len()..]);
                continue;
            }
            _ => {}
        }
        out.push_str(line);
    }
    Ok(out)
}

/// A line as (everything before its key, the key, what follows `key:`);
/// the key is empty for a line that is not `key: ...` or `- key: ...`.
fn split_key(body: &str) -> (&str, &str, &str) {
    let trimmed = body.trim_start();
    let after_dash = trimmed.strip_prefix("- ").map_or(trimmed, str::trim_start);
    let lead_len = body.len() - after_dash.len();
    let key_len = after_dash
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(after_dash.len());
    match after_dash[key_len..].strip_prefix(':') {
        Some(rest) if key_len > 0 => (&body[..lead_len], &after_dash[..key_len], rest),
        _ => (body, "", ""),
    }
}

/// Whether `line` belongs to a value whose key sits at `column`: indented
/// past it (a blank line ends the value; `verify` catches one that did not).
fn continues(line: &str, column: usize) -> bool {
    let trimmed = line.trim_start();
    !trimmed.trim().is_empty() && line.len() - trimmed.len() > column
}

/// `name` (plain or quoted) with `.tera` added inside its quotes.
fn tera_name(name: &str) -> String {
    match name.chars().last() {
        Some(q @ ('"' | '\'')) if name.len() >= 2 => {
            format!("{}.tera{q}", &name[..name.len() - 1])
        }
        _ => format!("{name}.tera"),
    }
}

/// `default:` followed by `items` as a block list.
fn block_list(lead: &str, items: &Value) -> std::result::Result<String, String> {
    let column = lead.len();
    let mut out = format!("{lead}default:\n");
    for item in items.as_sequence().into_iter().flatten() {
        let yaml = serde_yaml::to_string(item).map_err(|e| e.to_string())?;
        for (n, l) in yaml.lines().enumerate() {
            let mark = if n == 0 { "- " } else { "  " };
            out.push_str(&format!("{:column$}  {mark}{l}\n", ""));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_split_after_a_dash() {
        assert_eq!(split_key("  - key: a"), ("  - ", "key", " a"));
        assert_eq!(split_key("    default: x"), ("    ", "default", " x"));
        assert_eq!(split_key("  # key: a"), ("  # key: a", "", ""));
        assert_eq!(tera_name("'a.yaml'"), "'a.yaml.tera'");
        assert_eq!(tera_name("a.yaml"), "a.yaml.tera");
    }

    #[test]
    fn lists_without_indentation_are_followed() {
        let text = "name: p\nversion: '1'\nquestions:\n- key: names\n  prompt: N?\n  type: string\n  list: true\n  default: a,b\nfiles:\n- template: t.txt\n  path: out.txt\n";
        let m = pack_schema::read(text, "t").unwrap();
        let d = list_defaults(&m).unwrap();
        let new = rewrite(text, &m, &d).unwrap();
        verify(&new, &m, &d).unwrap();
        assert!(new.contains("  default:\n    - a\n    - b\n"), "{new}");
        assert!(new.contains("- template: t.txt.tera\n"), "{new}");
    }
}
