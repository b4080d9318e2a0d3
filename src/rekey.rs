//! Values keyed by another list (`keyed_by: environments`: one per
//! environment) when that list changes in a regen: the new defaults first,
//! then each key that existed keeps its recorded value, and the report says
//! which default was not followed and what new keys get.

use std::collections::BTreeMap;

use crate::answers::{self, Answers, Raw, Value};
use crate::pack::Manifest;
use crate::state::AnswersFile;

/// A keyed answer whose keys change in this run.
pub struct Rekeyed {
    pub key: String,
    old_keys: Vec<String>,
    old_vals: Vec<String>,
    new_keys: Vec<String>,
}

/// The keyed answers whose keys `set_now` changes (and that `set_now`
/// does not give itself).
pub fn find(
    manifest: &Manifest,
    recorded: &AnswersFile,
    set_now: &BTreeMap<String, Raw>,
) -> Vec<Rekeyed> {
    let recorded = |k: &str| recorded.answers.get(k).or_else(|| recorded.defaults.get(k));
    let mut out = Vec::new();
    for q in &manifest.questions {
        let Some(by) = &q.keyed_by else { continue };
        let (Some(Value::List(old_keys)), Some(Value::List(old_vals))) =
            (recorded(by), recorded(&q.key))
        else {
            continue;
        };
        let new_keys = match (
            set_now.get(by),
            manifest.questions.iter().find(|b| &b.key == by),
        ) {
            (Some(raw), Some(bq)) => match answers::parse(bq, raw) {
                Ok(Value::List(l)) => l,
                _ => continue,
            },
            _ => continue,
        };
        if set_now.contains_key(&q.key) || &new_keys == old_keys || old_keys.len() != old_vals.len()
        {
            continue;
        }
        out.push(Rekeyed {
            key: q.key.clone(),
            old_keys: old_keys.clone(),
            old_vals: old_vals.clone(),
            new_keys,
        });
    }
    out
}

/// Pins in `given` each existing key's recorded value over the new
/// default, with a notice for each; true when anything was pinned (the
/// answers must then be resolved again).
pub fn keep_values(
    rekeyed: &[Rekeyed],
    answers: &Answers,
    given: &mut BTreeMap<String, Raw>,
    notices: &mut Vec<String>,
) -> bool {
    let mut pinned = false;
    for r in rekeyed {
        let Some(Value::List(defaults)) = answers.values.get(&r.key) else {
            continue;
        };
        let kept = kept_values(r, defaults, notices);
        if &kept != defaults {
            given.insert(
                r.key.clone(),
                Raw::Yaml(serde_yaml::to_value(&kept).unwrap_or_default()),
            );
            pinned = true;
        }
    }
    pinned
}

fn kept_values(r: &Rekeyed, defaults: &[String], notices: &mut Vec<String>) -> Vec<String> {
    let key = &r.key;
    let mut kept = defaults.to_vec();
    for (i, k) in r.new_keys.iter().enumerate() {
        if let (Some(j), Some(slot)) = (r.old_keys.iter().position(|o| o == k), kept.get_mut(i))
            && *slot != r.old_vals[j]
        {
            notices.push(format!(
                "{key}: {k} keeps {} (the default would now be {slot}; set {key} to change it)",
                r.old_vals[j]
            ));
            *slot = r.old_vals[j].clone();
        } else if !r.old_keys.contains(k)
            && let Some(v) = kept.get(i)
        {
            notices.push(format!(
                "{key}: new {k} gets {v} (derived; set {key} to choose another)"
            ));
        }
    }
    kept
}
