//! flux-scaffold: generate the GitOps files and infrastructure code that let
//! AAD Pod Identity run beside the AKS Flux extension.
//!
//! Data flow: answers ([`answers`]) → render ([`render`]) → plan ([`plan`])
//! → apply ([`apply`]) or report ([`report`]); [`session`] ties them
//! together and [`cli`] is the command line around it.

pub mod answers;
pub mod applied;
pub mod apply;
pub mod auto;
pub mod cli;
pub mod completion;
pub mod dialect;
pub mod doctor;
pub mod error;
pub mod escape;
pub mod expr;
pub mod fleet;
pub mod interactive;
pub mod kustomize;
pub mod lock;
pub mod man;
pub mod manifest;
pub mod merge;
pub mod migrate;
pub mod migrate_cmd;
pub mod output;
pub mod pack;
pub mod pack_schema;
pub mod pack_upgrade;
pub mod pack_upgrade_default;
pub mod packs_cmd;
pub mod plan;
pub mod prompt;
pub mod rekey;
pub mod render;
pub mod report;
pub mod session;
pub mod stages;
pub mod state;
pub mod steps;
pub mod suggest;
pub mod tree;
pub mod validate;
pub mod values;
pub mod wrap;
