//! The versions of the pack format. A manifest names its format with
//! `schema` (absent: 1) and may name the tool versions it works with in
//! `requires`. Schema 2 spells every key in snake_case, writes a list
//! question's default as a YAML list (items may use answers, see
//! [`ListItem`]) and names templates `*.tera`. Schema 1 packs still load;
//! `flux-scaffold packs upgrade` rewrites them (see `pack_upgrade`).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::manifest::{Manifest, Question};

/// The format this version of the tool writes.
pub const CURRENT: u32 = 2;

/// The tool's version, which `requires` is checked against.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Schema 1's kebab-case keys, refused in schema 2.
const KEBAB_KEYS: [(&str, &str); 7] = [
    ("kustomize-resources", "kustomize_resources"),
    ("kustomize-patches", "kustomize_patches"),
    ("kustomize-retire", "kustomize_retire"),
    ("keep-namespace", "keep_namespace"),
    ("pod-identity-installed", "pod_identity_installed"),
    ("fresh-folder", "fresh_folder"),
    ("provided-by", "provided_by"),
];

/// One item of a list question's default in schema 2: a value (which may
/// use answers as `{{ key }}`), or a mapping that adds a condition and/or
/// one value per item of a list answer (as `item`), like a file's `when`
/// and `each`. An item with an expression that renders empty is left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ListItem {
    Spec(ItemSpec),
    Value(serde_yaml::Value),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemSpec {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
}

/// Parse a manifest of any known schema; `origin` names it in errors.
pub fn read(text: &str, origin: &str) -> Result<Manifest> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| Error::input(format!("{origin}: {e}")))?;
    // The tool version first: a pack for a newer tool may use a schema
    // this one does not know, and upgrading the tool is the fix.
    if let Some(req) = doc.get("requires") {
        let req = req
            .as_str()
            .ok_or_else(|| Error::input(format!("{origin}: requires must be a string")))?;
        check_requires(req, TOOL_VERSION).map_err(|e| Error::input(format!("{origin}: {e}")))?;
    }
    let schema = match doc.get("schema") {
        None => 1,
        Some(v) => match v.as_u64() {
            Some(n @ 1..=2) => n as u32,
            _ => {
                return Err(Error::input(format!(
                    "{origin}: schema {} is not one flux-scaffold {TOOL_VERSION} reads (1 or {CURRENT})",
                    serde_json::to_string(v).unwrap_or_default()
                )));
            }
        },
    };
    let mut manifest: Manifest =
        serde_yaml::from_str(text).map_err(|e| Error::input(format!("{origin}: {e}")))?;
    manifest.schema = schema;
    if schema >= 2 {
        refuse_kebab(&doc, origin)?;
        check_v2(&mut manifest).map_err(|e| Error::input(format!("{origin}: {e}")))?;
    } else if let Some(f) = manifest.files.iter().find(|f| f.path.is_empty()) {
        let what = f
            .template
            .as_deref()
            .or(f.copy.as_deref())
            .unwrap_or("patch");
        return Err(Error::input(format!(
            "{origin}: file '{what}' needs a path (schema 1)"
        )));
    }
    Ok(manifest)
}

/// Whether `tool` meets `req`: comparators such as `>=0.2` or
/// `>=0.2, <1`, all of which must hold. Versions are compared by their
/// numbers (a missing one is 0); anything else is refused as malformed.
pub fn check_requires(req: &str, tool: &str) -> std::result::Result<(), String> {
    let malformed = || format!("requires '{req}' is not a version requirement such as \">=0.2\"");
    let have = numbers(tool).ok_or_else(malformed)?;
    for part in req.split(',') {
        let part = part.trim();
        let (op, version) = [">=", "<=", "==", ">", "<", "="]
            .iter()
            .find_map(|op| part.strip_prefix(op).map(|v| (*op, v.trim())))
            .ok_or_else(malformed)?;
        let want = numbers(version).ok_or_else(malformed)?;
        let ok = match op {
            ">=" => have >= want,
            "<=" => have <= want,
            ">" => have > want,
            "<" => have < want,
            _ => have == want,
        };
        if !ok {
            return Err(format!(
                "the pack requires flux-scaffold {req}, and this is {tool}: upgrade flux-scaffold"
            ));
        }
    }
    Ok(())
}

/// `1.2.3` as [1, 2, 3], padded with zeros; None unless 1 to 3 numbers.
fn numbers(v: &str) -> Option<[u64; 3]> {
    let core = v.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return None;
    }
    let mut out = [0; 3];
    for (slot, p) in out.iter_mut().zip(&parts) {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    Some(out)
}

fn refuse_kebab(doc: &serde_yaml::Value, origin: &str) -> Result<()> {
    let files = doc.get("files").and_then(|f| f.as_sequence());
    let questions = doc.get("questions").and_then(|q| q.as_sequence());
    let nested = files
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("patch"))
        .chain(
            questions
                .into_iter()
                .flatten()
                .filter_map(|q| q.get("auto")),
        );
    for map in nested {
        for (kebab, snake) in KEBAB_KEYS {
            if map.get(kebab).is_some() {
                return Err(Error::input(format!(
                    "{origin}: '{kebab}' is schema 1's spelling; schema 2 writes '{snake}' (flux-scaffold packs upgrade converts a pack)"
                )));
            }
        }
    }
    Ok(())
}

/// The rules schema 2 adds: `*.tera` templates (a file's path defaults to
/// the template's name without it), and list defaults written as lists.
fn check_v2(m: &mut Manifest) -> std::result::Result<(), String> {
    for f in &mut m.files {
        if let Some(t) = &f.template {
            let Some(out) = t.strip_suffix(".tera").filter(|o| !o.is_empty()) else {
                return Err(format!("template '{t}' must be named *.tera in schema 2"));
            };
            if f.path.is_empty() {
                f.path = out.to_string();
            }
        } else if let (Some(c), true) = (&f.copy, f.path.is_empty()) {
            f.path = c.clone();
        }
        if f.path.is_empty() {
            return Err("a patch file without a template needs a path".into());
        }
    }
    for q in &m.questions {
        if let Some(d) = &q.default {
            check_default(m, q, d)?;
        }
    }
    Ok(())
}

fn check_default(
    m: &Manifest,
    q: &Question,
    d: &serde_yaml::Value,
) -> std::result::Result<(), String> {
    let key = &q.key;
    match (q.is_list(), d) {
        (true, serde_yaml::Value::Sequence(items)) => {
            for item in items {
                let item: ListItem = serde_yaml::from_value(item.clone())
                    .map_err(|e| format!("default of '{key}': {e}"))?;
                match item {
                    ListItem::Value(v) if v.is_sequence() || v.is_mapping() => {
                        return Err(format!(
                            "default of '{key}': an item is a value or a mapping of value, each and when"
                        ));
                    }
                    ListItem::Spec(ItemSpec { each: Some(e), .. })
                        if !m.questions.iter().any(|o| o.key == e && o.is_list()) =>
                    {
                        return Err(format!(
                            "default of '{key}': each '{e}' is not a list question"
                        ));
                    }
                    _ => {}
                }
            }
            Ok(())
        }
        (true, _) => Err(format!(
            "the default of list question '{key}' must be a YAML list in schema 2"
        )),
        (false, serde_yaml::Value::Sequence(_)) => Err(format!(
            "the default of '{key}' is a list, but the question is not"
        )),
        (false, _) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_compare_by_number() {
        assert!(check_requires(">=0.2", "0.2.0").is_ok());
        assert!(check_requires(">=0.2", "0.10.0").is_ok());
        assert!(check_requires(">=0.2, <1", "0.3.1").is_ok());
        assert!(check_requires(">=0.3", "0.2.9").is_err());
        assert!(check_requires("<1", "1.0.0").is_err());
        assert!(check_requires("=0.2", "0.2.0").is_ok());
        let bad = check_requires("~0.2", "0.2.0").unwrap_err();
        assert!(bad.contains("not a version requirement"), "{bad}");
        assert!(check_requires(">=0.x", "0.2.0").is_err());
    }
}
