//! kustomize's build of a folder with a kustomization file, and Flux's
//! generator for one without, recording what each build reads.

use std::collections::BTreeMap;

use super::*;

pub(super) struct Builder<'a> {
    pub(super) tree: &'a dyn Tree,
    pub(super) raw: &'a dyn Tree,
    pub(super) filter: Artifact,
    pub(super) out: Build,
    pub(super) visiting: Vec<String>,
}

impl Builder<'_> {
    /// Build the kustomization in `dir`; the objects it yields.
    pub(super) fn kustomization(&mut self, dir: &str) -> Result<Vec<Object>> {
        if self.visiting.iter().any(|d| d == dir) {
            self.out
                .errors
                .push(format!("{} is included in itself (a cycle)", shown(dir)));
            return Ok(Vec::new());
        }
        let file = match kustomization_file(self.tree, dir)? {
            Ok(Some(f)) => f,
            Ok(None) => {
                self.out.errors.push(format!(
                    "{} is listed as a resource but has no kustomization file",
                    shown(dir)
                ));
                return Ok(Vec::new());
            }
            Err(e) => {
                self.out.errors.push(e);
                return Ok(Vec::new());
            }
        };
        let bytes = self.tree.read(&file)?.unwrap_or_default();
        let data = match kustomize::read_kustomization(&bytes) {
            Ok(d) => d,
            Err(why) => {
                self.out.errors.push(format!("{file}: {why}"));
                return Ok(Vec::new());
            }
        };
        self.visiting.push(dir.to_string());
        let mut objects = Vec::new();
        let entries = entries_of(&data);
        for (_, entry) in entries.iter().filter(|(f, _)| *f != "components") {
            objects.extend(self.resource(dir, entry, &file)?);
        }
        // A component transforms everything its includer accumulated: its
        // `namespace:` moves the includer's objects too.
        for (_, entry) in entries.iter().filter(|(f, _)| *f == "components") {
            objects.extend(self.resource(dir, entry, &file)?);
            let comp = resolve(dir, entry).unwrap_or_default();
            if let Some(ns) = self.namespace_of(&comp)? {
                set_namespace(&mut objects[..], &ns);
            }
        }
        self.visiting.pop();
        for (_, entry) in entries.iter().filter(|(f, _)| *f == "components") {
            let comp = resolve(dir, entry).unwrap_or_default();
            let why = if is_remote(entry) {
                Some(format!("the remote component {entry}"))
            } else {
                self.unknown_namespace_effect(&comp, 0)?
            };
            if let Some(why) = why {
                mark_unknown(&mut objects, &why);
            }
        }
        if let Some(why) = self.touches_namespace(dir, &data)? {
            mark_unknown(&mut objects, &format!("{file}: {why}"));
        }
        self.check_patch_paths(dir, &file, &data)?;
        for ns in self.namespace_transformers(dir, &data)? {
            set_namespace(&mut objects, &ns);
        }
        if let Some(ns) = data.get("namespace").and_then(|n| n.as_str()) {
            set_namespace(&mut objects, ns);
        }
        Ok(objects)
    }

    /// Why `path` is not in Flux's artifact: a symbolic link on the way, or
    /// an ignore pattern; None when it is there (or not there at all).
    pub(super) fn left_out(&mut self, path: &str) -> Result<Option<&'static str>> {
        let mut at = String::new();
        for part in path.split('/') {
            let parent = at.clone();
            at = join(&at, part);
            let entry = self.raw.list(&parent)?.into_iter().find(|e| e.name == part);
            let Some(e) = entry else { return Ok(None) };
            if e.symlink {
                return Ok(Some("a symbolic link"));
            }
            if self.filter.leaves_out(&at, e.is_dir) {
                return Ok(Some(
                    "ignored by .sourceignore or Flux's default exclusions",
                ));
            }
        }
        Ok(None)
    }

    /// Why the component in `dir` (or one it includes) may move its
    /// includer's objects in ways not modelled here.
    pub(super) fn unknown_namespace_effect(
        &mut self,
        dir: &str,
        depth: usize,
    ) -> Result<Option<String>> {
        let Ok(Some(file)) = kustomization_file(self.tree, dir)? else {
            return Ok(None);
        };
        let bytes = self.tree.read(&file)?.unwrap_or_default();
        let Ok(data) = kustomize::read_kustomization(&bytes) else {
            return Ok(None);
        };
        if let Some(why) = self.touches_namespace(dir, &data)? {
            return Ok(Some(format!("{file}: {why}")));
        }
        for (field, entry) in entries_of(&data) {
            if field != "components" || depth > 8 {
                continue;
            }
            if is_remote(&entry) {
                return Ok(Some(format!("the remote component {entry}")));
            }
            let sub = resolve(dir, &entry).unwrap_or_default();
            if let Some(ns) = self.namespace_of(&sub)? {
                return Ok(Some(format!(
                    "the nested component {sub} sets namespace {ns}"
                )));
            }
            if let Some(why) = self.unknown_namespace_effect(&sub, depth + 1)? {
                return Ok(Some(why));
            }
        }
        Ok(None)
    }

    /// A `patches` or `patchesStrategicMerge` file that does not exist
    /// fails the build, like a `resources` entry pointing at nothing.
    fn check_patch_paths(&mut self, dir: &str, file: &str, data: &serde_yaml::Value) -> Result<()> {
        for field in ["patches", "patchesStrategicMerge"] {
            let Some(serde_yaml::Value::Sequence(items)) = data.get(field) else {
                continue;
            };
            for item in items {
                let path = match field {
                    "patches" => item.get("path").and_then(|p| p.as_str()),
                    _ => item.as_str().filter(|s| !s.contains('\n')),
                };
                let Some(entry) = path else { continue };
                let Some(target) = resolve(dir, entry) else {
                    continue;
                };
                if matches!(self.tree.read(&target), Ok(None)) {
                    self.out.errors.push(format!(
                        "{file}: {field} entry {entry:?} points at nothing ({target} does not exist)"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Whether a kustomization's patches, replacements or transformers
    /// (other than a NamespaceTransformer, which is modelled) mention
    /// namespaces: what they do to them is not worked out here.
    pub(super) fn touches_namespace(
        &mut self,
        dir: &str,
        data: &serde_yaml::Value,
    ) -> Result<Option<String>> {
        for field in [
            "patches",
            "patchesJson6902",
            "patchesStrategicMerge",
            "replacements",
            "transformers",
        ] {
            let Some(serde_yaml::Value::Sequence(items)) = data.get(field) else {
                continue;
            };
            for item in items {
                let mut texts = vec![serde_yaml::to_string(item).unwrap_or_default()];
                let path = item
                    .as_str()
                    .filter(|s| !s.contains('\n'))
                    .or_else(|| item.get("path").and_then(|p| p.as_str()));
                if let Some(p) = path.and_then(|p| resolve(dir, p))
                    && let Some(b) = self.tree.read(&p)?
                {
                    texts.push(String::from_utf8_lossy(&b).into_owned());
                }
                if field == "patches" && item.get("target").is_none() && texts.len() == 2 {
                    // A strategic-merge patch file names its targets by
                    // metadata.namespace; that is identity, not a change.
                    texts[1] = without_target_namespaces(&texts[1]);
                }
                let text = texts.join("\n");
                let namespace_transformer =
                    field == "transformers" && text.contains("NamespaceTransformer");
                if text.contains("namespace") && !namespace_transformer {
                    return Ok(Some(format!(
                        "its {field} touch namespaces, which this tool does not work out"
                    )));
                }
            }
        }
        Ok(None)
    }

    /// The `namespace:` of the kustomization in `dir`, if any.
    pub(super) fn namespace_of(&mut self, dir: &str) -> Result<Option<String>> {
        let Ok(Some(file)) = kustomization_file(self.tree, dir)? else {
            return Ok(None);
        };
        let bytes = self.tree.read(&file)?.unwrap_or_default();
        Ok(kustomize::read_kustomization(&bytes)
            .ok()
            .and_then(|d| d.get("namespace")?.as_str().map(str::to_string)))
    }

    /// The namespaces set by `NamespaceTransformer`s a kustomization runs
    /// (`transformers:` entries, files or inline).
    pub(super) fn namespace_transformers(
        &mut self,
        dir: &str,
        data: &serde_yaml::Value,
    ) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let Some(serde_yaml::Value::Sequence(items)) = data.get("transformers") else {
            return Ok(out);
        };
        for item in items {
            let Some(entry) = item.as_str() else { continue };
            let text = if entry.contains('\n') {
                entry.to_string()
            } else {
                let Some(path) = resolve(dir, entry) else {
                    continue;
                };
                match self.tree.read(&path)? {
                    Some(b) => String::from_utf8_lossy(&b).into_owned(),
                    None => continue,
                }
            };
            for doc in serde_yaml::Deserializer::from_str(&text) {
                let Ok(v) = serde_yaml::Value::deserialize(doc) else {
                    break;
                };
                if v.get("kind").and_then(|k| k.as_str()) == Some("NamespaceTransformer")
                    && let Some(ns) = v
                        .get("metadata")
                        .and_then(|m| m.get("namespace"))
                        .and_then(|n| n.as_str())
                {
                    out.push(ns.to_string());
                }
            }
        }
        Ok(out)
    }

    /// One entry of `dir`'s kustomization (`from` names it in messages).
    pub(super) fn resource(&mut self, dir: &str, entry: &str, from: &str) -> Result<Vec<Object>> {
        let Some(path) = resolve(dir, entry) else {
            if is_remote(entry) {
                self.out.sources.insert(Source::Remote(entry.to_string()));
            } else {
                self.out.errors.push(format!(
                    "{from}: entry {entry:?} leads outside the repository"
                ));
            }
            return Ok(Vec::new());
        };
        if let Some(why) = self.left_out(&path)? {
            self.out.errors.push(format!(
                "{from}: entry {entry:?} points at {path}, {why}, which Flux's source-controller leaves out of what it serves"
            ));
            return Ok(Vec::new());
        }
        if !self.tree.list(&path)?.is_empty() {
            return self.kustomization(&path);
        }
        if let Some(bytes) = self.tree.read(&path)? {
            self.out.sources.insert(Source::File(path.clone()));
            return Ok(match objects_of(&bytes, &path) {
                Ok(o) => o,
                Err(why) => {
                    self.out.errors.push(format!("{path}: {why}"));
                    Vec::new()
                }
            });
        }
        if is_remote(entry) {
            self.out.sources.insert(Source::Remote(entry.to_string()));
        } else {
            self.out.errors.push(format!(
                "{from}: entry {entry:?} points at nothing ({path} does not exist)"
            ));
        }
        Ok(Vec::new())
    }

    pub(super) fn check_ids(&mut self) {
        let mut seen: BTreeMap<String, &str> = BTreeMap::new();
        for o in &self.out.objects {
            let id = o.id();
            if let Some(first) = seen.get(&id) {
                self.out.errors.push(format!(
                    "{id} is defined twice ({first} and {}): kustomize fails with \"may not add resource with an already registered id\"",
                    o.file
                ));
            } else {
                seen.insert(id, &o.file);
            }
        }
    }
}

/// A strategic-merge patch file's text without each object's own
/// `metadata.namespace` (which only says which object it patches); the text
/// as it is when it is not such a file.
fn without_target_namespaces(text: &str) -> String {
    use serde::Deserialize;
    let mut out = String::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let Ok(mut v) = serde_yaml::Value::deserialize(doc) else {
            return text.to_string();
        };
        let named =
            v.get("kind").is_some() && v.get("metadata").and_then(|m| m.get("name")).is_some();
        if !named {
            return text.to_string();
        }
        if let Some(serde_yaml::Value::Mapping(m)) = v.get_mut("metadata") {
            m.remove("namespace");
        }
        out.push_str(&serde_yaml::to_string(&v).unwrap_or_default());
    }
    out
}
