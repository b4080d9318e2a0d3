//! The decision for one file the pack renders (managed or once) or
//! stops rendering, and what the state records for it.

use std::collections::BTreeSet;

use super::{Action, FileOp, Options};
use crate::applied;
use crate::dialect::Dialect;
use crate::error::Result;
use crate::merge;
use crate::pack::Ownership;
use crate::render::Rendered;
use crate::state::{self, FileRecord, State};
use crate::tree::Tree;

pub(super) const ADOPTED: &str =
    "yours: adopted as your edit of the render; --dry-run shows the differences";

/// What an adopted file lacks of the render, in objects: each a notice.
pub(super) fn adoption_gaps(r: &Rendered, disk: &[u8], notices: &mut Vec<String>) {
    let (Ok(ours), Ok(theirs)) = (
        applied::objects_of(&r.content, &r.path),
        applied::objects_of(disk, &r.path),
    ) else {
        return;
    };
    let have: BTreeSet<String> = theirs.iter().map(applied::Object::id).collect();
    let missing: Vec<String> = ours
        .iter()
        .filter(|o| !have.contains(&o.id()))
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();
    if !missing.is_empty() {
        notices.push(format!(
            "{} (yours, kept) lacks {} that flux-scaffold would write: add them, or run `flux-scaffold regen --force` to take the render",
            r.path,
            missing.join(", ")
        ));
    }
}

pub(super) fn record(ownership: Ownership, content: &[u8], opts: Options) -> FileRecord {
    FileRecord {
        ownership,
        sha256: (opts.record && ownership != Ownership::Managed).then(|| state::sha256(content)),
        resources: Vec::new(),
    }
}

pub(super) fn op(
    r: &Rendered,
    action: Action,
    old: Option<Vec<u8>>,
    new: Option<Vec<u8>>,
) -> FileOp {
    FileOp {
        path: r.path.clone(),
        ownership: r.ownership,
        action,
        old,
        new,
        executable: r.executable,
        note: None,
        conflicts: 0,
    }
}

pub(super) fn with_note(mut op: FileOp, note: &str) -> FileOp {
    op.note = Some(note.to_string());
    op
}

pub(super) fn plan_managed(
    r: &Rendered,
    disk: Option<Vec<u8>>,
    base: Option<&Vec<u8>>,
    was_recorded: bool,
    opts: Options,
) -> FileOp {
    let new = r.content.clone();
    let Some(disk) = disk else {
        if opts.merge && was_recorded && !opts.force {
            return with_note(
                op(r, Action::Keep, None, None),
                "removed by hand; left removed (--force restores it)",
            );
        }
        return op(r, Action::Create, None, Some(new));
    };
    // Compare in LF form when the file on disk is CRLF or has a BOM (e.g.
    // a checkout with core.autocrlf) and write back in its own dialect.
    let dialect = if Dialect::of(&new).is_plain() {
        Dialect::of(&disk)
    } else {
        Dialect::default()
    };
    let ours = dialect.normalize(&disk);
    let out = |bytes: Vec<u8>| Some(dialect.apply(&bytes));
    if ours == new {
        return op(r, Action::Unchanged, Some(disk), None);
    }
    if opts.force {
        return with_note(op(r, Action::Update, Some(disk), out(new)), "forced");
    }
    match base {
        Some(b) if *b == ours => op(r, Action::Update, Some(disk), out(new)),
        Some(b) if *b == new => {
            let markers = merge::conflict_markers(&ours);
            let note = if markers > 0 {
                "conflict markers remain"
            } else {
                "your edits kept"
            };
            let mut o = with_note(op(r, Action::Keep, Some(disk), None), note);
            o.conflicts = markers;
            o
        }
        Some(b) if opts.merge => {
            let merged = merge::three_way(b, &ours, &new);
            let action = if merged.conflicts > 0 {
                Action::Conflict
            } else {
                Action::Merge
            };
            let mut o = op(r, action, Some(disk), out(merged.content));
            o.conflicts = merged.conflicts;
            o
        }
        // A file the record names but whose base is missing or tampered:
        // both sides are kept in conflict markers, so the user's text is
        // never lost.
        None if opts.merge && was_recorded => {
            let merged = merge::three_way(b"", &ours, &new);
            let mut o = op(r, Action::Conflict, Some(disk), out(merged.content));
            o.conflicts = merged.conflicts.max(1);
            with_note(o, "no record of what was last written; both kept")
        }
        // Adoption: a file the record does not name (written by hand, after
        // the article, or kept as the user's when the pack stopped producing
        // it and now produced again) stays as it is, as the user's edit of
        // the render; the render is recorded as its base, so regen merges
        // against it later.
        _ => with_note(op(r, Action::Keep, Some(disk), out(new)), ADOPTED),
    }
}

pub(super) fn plan_once(r: &Rendered, disk: Option<Vec<u8>>) -> FileOp {
    match disk {
        None => op(r, Action::Create, None, Some(r.content.clone())),
        Some(d) if d == r.content => op(r, Action::Unchanged, Some(d), None),
        Some(d) => with_note(op(r, Action::Keep, Some(d), None), "yours once created"),
    }
}

pub(super) fn plan_dropped(
    path: &str,
    rec: &FileRecord,
    prev: &State,
    tree: &dyn Tree,
) -> Result<Option<FileOp>> {
    if rec.ownership != Ownership::Managed {
        return Ok(None);
    }
    let Some(disk) = tree.read(path)? else {
        return Ok(None);
    };
    let unedited = prev.base.get(path) == Some(&disk);
    Ok(Some(FileOp {
        path: path.to_string(),
        ownership: rec.ownership,
        action: if unedited {
            Action::Remove
        } else {
            Action::Keep
        },
        old: Some(disk),
        new: None,
        executable: false,
        note: Some(if unedited {
            "no longer produced".into()
        } else {
            "no longer produced; kept because you edited it".into()
        }),
        conflicts: 0,
    }))
}
