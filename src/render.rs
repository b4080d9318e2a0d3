//! Render a pack with a set of answers into the list of files it produces.
//! Pure: reads only the pack, never the target folder.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use crate::answers::{Answers, Value};
use crate::error::{Error, Result};
use crate::escape::Lang;
use crate::expr;
use crate::pack::{Ownership, Pack};
use crate::state::Stage;

/// One file the pack produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Path relative to the target folder, with `/` separators.
    pub path: String,
    pub ownership: Ownership,
    /// The content (empty for `patch` files).
    pub content: Vec<u8>,
    /// For `patch` files: kustomization `resources` entries to ensure.
    pub resources: Vec<String>,
    /// For `patch` files: the namespace those entries must keep.
    pub keep_namespace: Option<String>,
    /// For `patch` files: per entry, patterns of existing entries that
    /// already provide what it would.
    pub provided_by: Vec<(String, Vec<String>)>,
    /// For `patch` files: entries of the user's to take out when listed
    /// (what the answers retire, e.g. migration step 2).
    pub retire: Vec<String>,
    pub executable: bool,
}

/// Every file `pack` produces for `answers`, sorted by path.
pub fn render(pack: &Pack, answers: &Answers) -> Result<Vec<Rendered>> {
    thread_local! {
        /// Compiled templates by pack and language: a fleet run renders
        /// the same pack a thousand times.
        static ENGINES: RefCell<HashMap<(String, Lang), tera::Tera>> = RefCell::new(HashMap::new());
    }
    expr::reset_bounds();
    ENGINES.with(|engines| render_with(pack, answers, &mut engines.borrow_mut()))
}

fn render_with(
    pack: &Pack,
    answers: &Answers,
    engines: &mut HashMap<(String, Lang), tera::Tera>,
) -> Result<Vec<Rendered>> {
    let manifest = &pack.manifest;
    let base_ctx = expr::context(manifest, answers);
    let key = pack.cache_key();
    let mut out: BTreeMap<String, Rendered> = BTreeMap::new();
    let err =
        |what: &str, e: String| Error::input(format!("pack '{}': {what}: {e}", manifest.name));

    for spec in &manifest.files {
        let what = format!("file '{}'", spec.path);
        for (ctx, path) in instances(
            &base_ctx,
            answers,
            &spec.path,
            spec.each.as_deref(),
            spec.when.as_deref(),
        )
        .map_err(|e| err(&what, e))?
        {
            let content =
                file_content(pack, spec, &path, &ctx, engines, &key).map_err(|e| match e {
                    Content::Pack(e) => e,
                    Content::Template(t, why) => err(&format!("template '{t}'"), why),
                })?;
            let patch = patch_of(pack, spec, &ctx).map_err(|(what, e)| err(&what, e))?;
            let file = Rendered {
                path: path.clone(),
                ownership: spec.ownership,
                content,
                resources: patch.resources,
                keep_namespace: patch.keep_namespace,
                provided_by: patch.provided_by,
                retire: patch.retire,
                executable: spec.executable,
            };
            if out.insert(path.clone(), file).is_some() {
                return Err(err(
                    "files",
                    format!("two files would be written to '{path}'"),
                ));
            }
        }
    }
    Ok(out.into_values().collect())
}

/// Why a file's content could not be made.
enum Content {
    /// Reading the pack failed (its own message).
    Pack(Error),
    /// A template failed: its name and why.
    Template(String, String),
}

/// The bytes of one file: its template rendered (compiled once per pack
/// and output language), its copied file, or nothing.
fn file_content(
    pack: &Pack,
    spec: &crate::pack::FileSpec,
    path: &str,
    ctx: &tera::Context,
    engines: &mut HashMap<(String, Lang), tera::Tera>,
    key: &str,
) -> std::result::Result<Vec<u8>, Content> {
    if let Some(t) = &spec.template {
        let lang = Lang::of_path(path);
        let engine = engines
            .entry((key.to_string(), lang))
            .or_insert_with(|| expr::engine(lang));
        let failed = |why: String| Content::Template(t.clone(), why);
        if !engine.contains_template(t) {
            let bytes = pack.read(t).map_err(Content::Pack)?;
            let text = String::from_utf8(bytes).map_err(|_| failed("is not UTF-8".into()))?;
            engine
                .add_raw_template(t, &text)
                .map_err(|e| failed(expr::flatten(&e)))?;
        }
        let mut out = Vec::new();
        engine
            .render_to(t, ctx, expr::Capped(&mut out))
            .map_err(|e| failed(expr::flatten(&e)))?;
        Ok(out)
    } else if let Some(c) = &spec.copy {
        pack.read(c).map_err(Content::Pack)
    } else {
        Ok(Vec::new())
    }
}

/// What a file's `patch:` asks of the kustomization it patches.
#[derive(Default)]
struct PatchOf {
    resources: Vec<String>,
    retire: Vec<String>,
    provided_by: Vec<(String, Vec<String>)>,
    keep_namespace: Option<String>,
}

/// A file's patch, rendered; `Err` holds what failed and why.
fn patch_of(
    pack: &Pack,
    spec: &crate::pack::FileSpec,
    ctx: &tera::Context,
) -> std::result::Result<PatchOf, (String, String)> {
    let Some(p) = &spec.patch else {
        return Ok(PatchOf::default());
    };
    let (resources, retire) = patch_entries(p, ctx).map_err(|e| ("patch entry".to_string(), e))?;
    // Taking a user's entries out is the built-in migration's alone: a pack
    // from disk may not make Flux drop what it applied.
    if !retire.is_empty() && !pack.is_builtin() {
        return Err((
            format!("file '{}'", spec.path),
            "kustomize_retire is honoured in built-in packs only".into(),
        ));
    }
    let mut provided_by = Vec::new();
    for pb in &p.provided_by {
        let entry =
            expr::render_text(&pb.entry, ctx).map_err(|e| ("patch provided-by".to_string(), e))?;
        provided_by.push((entry, pb.patterns.clone()));
    }
    let keep_namespace = match &p.keep_namespace {
        Some(ns) => {
            Some(expr::render_text(ns, ctx).map_err(|e| ("patch keep-namespace".to_string(), e))?)
        }
        None => None,
    };
    Ok(PatchOf {
        resources,
        retire,
        provided_by,
        keep_namespace,
    })
}

/// A patch's entries to ensure (`resources`, then `patches` items under
/// [`crate::kustomize::PATCH_ENTRY`]) and to retire. An entry may render to
/// several, one per line.
fn patch_entries(
    p: &crate::pack::PatchSpec,
    ctx: &tera::Context,
) -> std::result::Result<(Vec<String>, Vec<String>), String> {
    let entries = |list: &[String]| -> std::result::Result<Vec<String>, String> {
        let mut out = Vec::new();
        for r in list {
            let text = expr::render_text(r, ctx)?;
            out.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string),
            );
        }
        Ok(out)
    };
    let mut resources = entries(&p.kustomize_resources)?;
    resources.extend(
        entries(&p.kustomize_patches)?
            .into_iter()
            .map(|l| format!("{}{l}", crate::kustomize::PATCH_ENTRY)),
    );
    Ok((resources, entries(&p.kustomize_retire)?))
}

/// The folders the pack's stages point Flux at, for `answers`, by path.
pub fn stages(pack: &Pack, answers: &Answers) -> Result<Vec<Stage>> {
    expr::reset_bounds();
    let manifest = &pack.manifest;
    let base_ctx = expr::context(manifest, answers);
    let mut out: BTreeMap<String, Stage> = BTreeMap::new();
    for st in &manifest.stages {
        let err = |e: String| {
            Error::input(format!(
                "pack '{}': stage '{}': {e}",
                manifest.name, st.path
            ))
        };
        let found = instances(
            &base_ctx,
            answers,
            &st.path,
            st.each.as_deref(),
            st.when.as_deref(),
        )
        .map_err(err)?;
        for (ctx, path) in found {
            let name = match &st.name {
                Some(n) => expr::render_text(n, &ctx).map_err(|e| err(format!("name: {e}")))?,
                None => path.clone(),
            };
            out.entry(path.clone()).or_insert(Stage {
                name,
                path,
                per_item: st.each.is_some(),
            });
        }
    }
    Ok(out.into_values().collect())
}

/// Every instance of a templated path: one per item of `each` (or one),
/// where `when` holds, with its context and its path in canonical form.
fn instances(
    base_ctx: &tera::Context,
    answers: &Answers,
    path: &str,
    each: Option<&str>,
    when: Option<&str>,
) -> std::result::Result<Vec<(tera::Context, String)>, String> {
    let items: Vec<Option<String>> = match each {
        Some(key) => match answers.values.get(key) {
            Some(Value::List(l)) => l.iter().cloned().map(Some).collect(),
            _ => Vec::new(),
        },
        None => vec![None],
    };
    let mut out = Vec::new();
    for item in items {
        let mut ctx = base_ctx.clone();
        if let Some(item) = &item {
            ctx.insert("item", item);
        }
        if let Some(when) = when
            && !expr::eval(when, &ctx).map_err(|e| format!("when: {e}"))?
        {
            continue;
        }
        let text = expr::render_text(path, &ctx).map_err(|e| format!("path: {e}"))?;
        let p = output_path(&text).map_err(|why| {
            format!("output path '{text}' is not inside the target folder: it {why}")
        })?;
        out.push((ctx, p));
    }
    Ok(out)
}

/// A rendered output path in canonical form (no leading `./`), or why it
/// breaks the containment rule ([`crate::tree::check_output`]). Checked
/// as rendered: nothing is converted after the check.
fn output_path(p: &str) -> std::result::Result<String, String> {
    let p = p.strip_prefix("./").unwrap_or(p);
    crate::tree::check_output(p)?;
    Ok(p.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answers::{NoPrompt, Raw, resolve};
    use crate::pack::DEFAULT_PACK;

    fn answers(pack: &Pack, extra: &[(&str, &str)]) -> Answers {
        let given: BTreeMap<String, Raw> = [
            ("git_url", "https://github.com/o/r"),
            ("cluster_name", "aks"),
            ("resource_group", "rg"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
        .collect();
        resolve(&pack.manifest, &given, &mut NoPrompt).unwrap()
    }

    #[test]
    fn default_pack_renders_the_helm_path_deterministically() {
        let pack = Pack::builtin(DEFAULT_PACK).unwrap();
        let a = answers(&pack, &[]);
        let first = render(&pack, &a).unwrap();
        let paths: Vec<&str> = first.iter().map(|r| r.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "iac/flux-configuration.bicep",
                "iac/flux-configuration.sh",
                "iac/main.bicep",
                "iac/recover.sh",
                "infrastructure/flux-exception.yaml",
                "infrastructure/kustomization.yaml",
                "prerequisites/kustomization.yaml",
                "prerequisites/pod-identity-crds.yaml",
            ]
        );
        assert_eq!(
            render(&pack, &a).unwrap(),
            first,
            "same answers, same bytes"
        );
    }

    #[test]
    fn addon_path_has_no_prerequisites() {
        let pack = Pack::builtin(DEFAULT_PACK).unwrap();
        let a = answers(&pack, &[("pod_identity", "aks-addon")]);
        let out = render(&pack, &a).unwrap();
        assert!(out.iter().all(|r| !r.path.starts_with("prerequisites/")));
        assert!(
            out.iter()
                .any(|r| r.path == "iac/pod-identity-exception.sh" && r.executable)
        );
    }
}
