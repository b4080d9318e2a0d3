//! The az CLI's parsing rules for `--kustomization` (azure-cli-extensions,
//! k8s-configuration action.py and validators.py, as summarised in
//! FACTS.md), applied to words a shell has already split.

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Kustomization {
    pub name: String,
    pub path: String,
    pub depends_on: Vec<String>,
    pub prune: bool,
    pub sync_interval: Option<String>,
    pub retry_interval: Option<String>,
    pub timeout: Option<String>,
}

fn go_duration(v: &str) -> bool {
    let re = regex::Regex::new(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$").unwrap();
    re.is_match(v)
}

/// Seconds in a duration as the az CLI reads it (k8s-configuration
/// utils.py): `((\d+?)h)?((\d+?)m)?((\d+?)s)?` matched from the start of
/// the string, the rest ignored, no error. `500ms` is 30,000 s, `30s1m`
/// 30 s, `1h1h` 3,600 s: a script must only hold values this reads as the
/// seconds Bicep and Terraform get.
pub fn seconds(v: &str) -> u64 {
    let re = regex::Regex::new(r"^((\d+?)h)?((\d+?)m)?((\d+?)s)?").unwrap();
    let c = re.captures(v).expect("the pattern matches every string");
    let part = |i: usize| c.get(i).map_or(0, |m| m.as_str().parse::<u64>().unwrap());
    part(2) * 3600 + part(4) * 60 + part(6)
}

/// Parse the words after one `--kustomization`, as the CLI does.
pub fn parse_kustomization(words: &[String]) -> Result<Kustomization, String> {
    let mut k = Kustomization::default();
    for w in words {
        let (key, value) = w
            .split_once('=')
            .ok_or_else(|| format!("{w}: not key=value"))?;
        match key {
            "name" => k.name = value.to_string(),
            "path" => k.path = value.to_string(),
            "depends_on" | "dependsOn" | "dependencies" | "depends" => {
                let v = value.strip_prefix('[').unwrap_or(value);
                let v = v.strip_suffix(']').unwrap_or(v);
                k.depends_on = v.split(',').map(str::to_string).collect();
            }
            "sync_interval" | "interval" => k.sync_interval = Some(value.to_string()),
            "retry_interval" => k.retry_interval = Some(value.to_string()),
            "timeout" => k.timeout = Some(value.to_string()),
            "prune" => k.prune = value.eq_ignore_ascii_case("true"),
            "force" | "disable-health-check" => {}
            other => return Err(format!("unknown kustomization key {other}")),
        }
    }
    let name_re = regex::Regex::new(r"^[a-z0-9]([\.\-a-z0-9]*[a-z0-9])?$").unwrap();
    if k.name.is_empty() || k.name.len() > 63 || !name_re.is_match(&k.name) {
        return Err(format!("invalid kustomization name {:?}", k.name));
    }
    for d in &k.depends_on {
        if !name_re.is_match(d) {
            return Err(format!(
                "dependency {d:?} is not a valid kustomization name (quotes, spaces?)"
            ));
        }
    }
    for v in [&k.sync_interval, &k.retry_interval, &k.timeout]
        .into_iter()
        .flatten()
    {
        if !go_duration(v) {
            return Err(format!("{v:?} is not a Go duration"));
        }
    }
    Ok(k)
}

/// The value of a flag in a command's words.
pub fn flag<'a>(words: &'a [String], names: &[&str]) -> Option<&'a str> {
    words
        .iter()
        .position(|w| names.contains(&w.as_str()))
        .and_then(|i| words.get(i + 1))
        .map(String::as_str)
}

/// The groups of words after each `--kustomization`/`-k`.
pub fn kustomization_groups(words: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] == "--kustomization" || words[i] == "-k" {
            let group: Vec<String> = words[i + 1..]
                .iter()
                .take_while(|w| !w.starts_with('-'))
                .cloned()
                .collect();
            i += 1 + group.len();
            out.push(group);
        } else {
            i += 1;
        }
    }
    out
}
