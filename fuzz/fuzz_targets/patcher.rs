//! Fuzz the kustomization patcher: it never panics, and its output is the
//! input plus exactly one inserted run of bytes holding the entry, parsing
//! to the same data plus the entry; or a refusal with a reason.
#![no_main]

use flux_scaffold::kustomize::{Patched, add_resources};
use libfuzzer_sys::fuzz_target;

const ENTRY: &str = "flux-exception.yaml";

fuzz_target!(|input: &[u8]| {
    let entries = vec![ENTRY.to_string()];
    match add_resources(input, &entries) {
        Err(why) => assert!(!why.is_empty()),
        Ok(Patched::Unchanged) => {}
        Ok(Patched::Changed(out)) => {
            let prefix = input.iter().zip(&out).take_while(|(a, b)| a == b).count();
            let suffix = input[prefix..]
                .iter()
                .rev()
                .zip(out[prefix..].iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            assert_eq!(prefix + suffix, input.len(), "input bytes changed");
            let inserted = std::str::from_utf8(&out[prefix..out.len() - suffix]).unwrap();
            assert_eq!(inserted.matches(ENTRY).count(), 1);
            assert_eq!(add_resources(&out, &entries), Ok(Patched::Unchanged));
        }
    }
});
