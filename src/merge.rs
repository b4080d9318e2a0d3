//! Three-way merge of a managed file: the base last written, the user's
//! version on disk, and the new render.

use similar::TextMerge;

pub struct Merged {
    pub content: Vec<u8>,
    /// Regions both sides changed differently, written with markers.
    pub conflicts: usize,
}

/// Merge `ours` (the user's file) and `theirs` (the new render) against
/// `base`. Non-UTF-8 input is never merged: it is one conflict.
pub fn three_way(base: &[u8], ours: &[u8], theirs: &[u8]) -> Merged {
    let (Ok(b), Ok(o), Ok(t)) = (
        std::str::from_utf8(base),
        std::str::from_utf8(ours),
        std::str::from_utf8(theirs),
    ) else {
        return Merged {
            content: ours.to_vec(),
            conflicts: 1,
        };
    };
    let mut m = TextMerge::from_lines(b, o, t);
    m.labels("base", "yours", "flux-scaffold");
    Merged {
        content: m.to_string().into_bytes(),
        conflicts: m.conflict_count(),
    }
}

/// How many conflict blocks written by [`three_way`] a file still holds.
pub fn conflict_markers(content: &[u8]) -> usize {
    String::from_utf8_lossy(content)
        .lines()
        .filter(|l| *l == "<<<<<<< yours")
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separate_edits_merge() {
        let m = three_way(b"a\nb\nc\n", b"A\nb\nc\n", b"a\nb\nC\n");
        assert_eq!(m.conflicts, 0);
        assert_eq!(m.content, b"A\nb\nC\n");
    }

    #[test]
    fn overlapping_edits_conflict() {
        let m = three_way(b"a\n", b"x\n", b"y\n");
        assert_eq!(m.conflicts, 1);
        let s = String::from_utf8(m.content).unwrap();
        assert!(
            s.contains("<<<<<<< yours") && s.contains(">>>>>>> flux-scaffold"),
            "{s}"
        );
    }
}
