//! "Did you mean ...?": the closest known name to a mistyped one, by the
//! same measure clap uses for flags (Jaro similarity above 0.7).

/// The candidate closest to `typed`, when one is close enough.
pub fn closest<'a>(typed: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro(typed, c), c))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_its_key() {
        let keys = ["cluster_name", "cluster_names", "git_url", "resource_group"];
        assert_eq!(closest("clustr_name", keys), Some("cluster_name"));
        assert_eq!(closest("giturl", keys), Some("git_url"));
        assert_eq!(closest("zzz", keys), None);
    }
}
