//! Stage folders: the ones the configuration points Flux at get a
//! minimal kustomization when nothing is there, and every stage, now and
//! recorded, is checked by the stage invariant (stages.rs).

use std::collections::BTreeSet;

use super::{Planner, STAGE_KUSTOMIZATION, file_ops, overlay_of};
use crate::applied;
use crate::error::Result;
use crate::pack::Ownership;
use crate::render::Rendered;
use crate::stages;
use crate::state::Stage;
use crate::tree::Overlay;

impl<'a> Planner<'a> {
    /// Stage folders that would not exist: a minimal kustomization, yours
    /// once created. Returns the tree as the plan leaves it.
    pub(super) fn plan_stage_folders(&mut self, stages: &[String]) -> Result<Overlay<'a>> {
        let tree = self.tree;
        let mut overlay = overlay_of(tree, &self.files);
        for dir in stages {
            let file = applied::join(dir, "kustomization.yaml");
            let recorded_once = self
                .prev_files
                .and_then(|f| f.get(&file))
                .is_some_and(|r| r.ownership == Ownership::Once);
            let has_file = matches!(
                applied::kustomization_file(&overlay, dir)?,
                Ok(Some(_)) | Err(_)
            );
            let empty = !has_file
                && matches!(applied::generated_entries(&overlay, dir)?, Ok(l) if l.is_empty());
            if !(empty || (recorded_once && tree.read(&file)?.is_some()))
                || self.records.contains_key(&file)
            {
                continue;
            }
            let r = Rendered {
                path: file.clone(),
                ownership: Ownership::Once,
                content: STAGE_KUSTOMIZATION.as_bytes().to_vec(),
                resources: Vec::new(),
                keep_namespace: None,
                provided_by: Vec::new(),
                retire: Vec::new(),
                executable: false,
            };
            let op = file_ops::with_note(
                file_ops::plan_once(&r, tree.read(&file)?),
                "a stage folder Flux is pointed at",
            );
            self.records.insert(
                file.clone(),
                file_ops::record(Ownership::Once, &r.content, self.opts),
            );
            if let Some(new) = &op.new {
                overlay.changes.insert(file, Some(new.clone()));
            }
            self.files.push(op);
        }
        Ok(overlay)
    }

    /// The tool's own: files it writes or wrote, and remote entries it added.
    fn owned(&self) -> BTreeSet<&str> {
        let all_records = self
            .records
            .iter()
            .chain(self.prev_files.into_iter().flatten());
        let mut owned: BTreeSet<&str> = BTreeSet::new();
        for (path, rec) in all_records {
            if rec.ownership == Ownership::Patch {
                owned.extend(
                    rec.resources
                        .iter()
                        .filter(|e| applied::is_remote(e))
                        .map(String::as_str),
                );
            } else {
                owned.insert(path.as_str());
            }
        }
        owned.extend(self.retired.iter().map(String::as_str));
        owned
    }

    /// The stage invariant (stages.rs), over every stage now and recorded.
    pub(super) fn check_stages(
        &mut self,
        overlay: &Overlay,
        stage_list: &[Stage],
        stages: &[String],
    ) -> Result<()> {
        let mut checked: BTreeSet<&str> = stages.iter().map(String::as_str).collect();
        if let Some(prev) = self.previous {
            checked.extend(prev.files.stages.iter().map(|s| s.path.as_str()));
        }
        let owned = self.owned();
        let (mut refusals, mut notices) = (Vec::new(), Vec::new());
        // With nothing to change, every stage stays as it is.
        if !overlay.changes.is_empty() {
            for dir in checked {
                let current = stages.iter().any(|s| s == dir);
                stages::check_stage(overlay, dir, current, &owned, &mut refusals, &mut notices)?;
            }
        }
        if let Some(prev) = self.previous {
            stages::check_left_stages(
                overlay,
                &prev.files.stages,
                stage_list,
                &owned,
                &mut refusals,
                &mut notices,
            )?;
        }
        self.refusals.extend(refusals);
        self.notices.extend(notices);
        Ok(())
    }
}
