//! The patcher's promise, checked on one input.

use flux_scaffold::kustomize::{Patched, add_resources};

pub const ENTRY: &str = "flux-exception.yaml";

/// Checks the patcher's promise on one input; returns the refusal reason if any.
pub fn check(name: &str, input: &[u8]) -> Option<String> {
    let entries = vec![ENTRY.to_string()];
    match add_resources(input, &entries) {
        Err(why) => {
            assert!(!why.is_empty(), "{name}: refusal without a reason");
            Some(why)
        }
        Ok(Patched::Unchanged) => {
            let text = String::from_utf8_lossy(input);
            assert!(
                text.contains(ENTRY),
                "{name}: unchanged but the entry is missing"
            );
            None
        }
        Ok(Patched::Changed(out)) => {
            // Exactly one contiguous insertion, holding the entry once.
            let prefix = input.iter().zip(&out).take_while(|(a, b)| a == b).count();
            let suffix = input[prefix..]
                .iter()
                .rev()
                .zip(out[prefix..].iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            assert_eq!(prefix + suffix, input.len(), "{name}: input bytes changed");
            let inserted = String::from_utf8(out[prefix..out.len() - suffix].to_vec()).unwrap();
            assert_eq!(
                inserted.matches(ENTRY).count(),
                1,
                "{name}: inserted {inserted:?}"
            );
            // Same data plus the entry.
            let strip_bom = |b: &[u8]| {
                String::from_utf8(b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b).to_vec()).unwrap()
            };
            // kustomize reads the first document only; the rest stays as it was.
            let first = |text: &str| -> serde_yaml::Value {
                use serde::Deserialize;
                serde_yaml::Deserializer::from_str(text)
                    .next()
                    .map(|d| serde_yaml::Value::deserialize(d).unwrap())
                    .unwrap_or_default()
            };
            let before = first(&strip_bom(input));
            let after = first(&strip_bom(&out));
            let mut expected = before.as_mapping().cloned().unwrap_or_default();
            let mut list = expected
                .get("resources")
                .and_then(|r| r.as_sequence().cloned())
                .unwrap_or_default();
            // Siblings that all start with ./ get a new entry in that style.
            let dotted = !list.is_empty()
                && list
                    .iter()
                    .all(|i| i.as_str().is_some_and(|s| s.starts_with("./")));
            list.push(
                if dotted {
                    format!("./{ENTRY}")
                } else {
                    ENTRY.into()
                }
                .into(),
            );
            expected.insert("resources".into(), serde_yaml::Value::Sequence(list));
            assert_eq!(after, serde_yaml::Value::Mapping(expected), "{name}");
            // Line endings follow the file.
            if input.windows(2).any(|w| w == b"\r\n") {
                assert!(
                    !inserted.replace("\r\n", "").contains('\n'),
                    "{name}: LF in a CRLF file"
                );
            }
            // A second patch finds the entry and leaves the file alone.
            assert_eq!(
                add_resources(&out, &entries).unwrap(),
                Patched::Unchanged,
                "{name}"
            );
            None
        }
    }
}
