//! Bicep fluxConfigurations fields against the API version the resource
//! declares: dependsOn shapes, `wait`, `postBuild`, `validation` (FS018).

use super::Ctx;
use crate::doctor::report::Finding;

impl Ctx<'_> {
    // FS018
    pub(super) fn bicep_versions(&mut self) {
        const OBJECT_DEPENDS: [&str; 2] = ["2021-11-01-preview", "2022-01-01-preview"];
        for f in &self.facts.bicep_fields {
            let v = f.api_version.as_str();
            if v.is_empty() {
                continue;
            }
            let wrong = match f.field {
                "dependsOn-object" => (!OBJECT_DEPENDS.contains(&v)).then(|| {
                    format!("dependsOn entries are objects ({{ kustomizationName: ... }}), the shape of 2021-11-01-preview and 2022-01-01-preview; {v} takes names ['infra']")
                }),
                "dependsOn-string" => OBJECT_DEPENDS.contains(&v).then(|| {
                    format!("dependsOn entries are names; {v} takes objects [{{ kustomizationName: 'infra' }}]")
                }),
                "wait" | "postBuild" => (v.get(..10).unwrap_or(v) < "2023-05-01")
                    .then(|| format!("{} exists from API version 2023-05-01 on; {v} lacks it", f.field)),
                "validation" => (v != "2021-11-01-preview")
                    .then(|| format!("validation exists only in 2021-11-01-preview; {v} lacks it")),
                _ => None,
            };
            if let Some(why) = wrong {
                self.out.push(
                    Finding::new(
                        "FS018",
                        &f.file,
                        f.line,
                        format!("kustomization {}: {why}", f.kustomization),
                    )
                    .fix("write the shape of the API version the resource declares, or change the version"),
                );
            }
        }
    }
}
