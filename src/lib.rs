//! flux-scaffold: generate the GitOps files and infrastructure code that let
//! AAD Pod Identity run beside the AKS Flux extension.
//!
//! Data flow: answers ([`answers`]) → render ([`render`]) → plan ([`plan`])
//! → apply ([`apply`]) or report ([`report`]); [`session`] ties them
//! together and [`cli`] is the command line around it.

pub mod answers;
pub mod applied;
pub mod apply;
pub mod cli;
pub mod dialect;
pub mod doctor;
pub mod error;
pub mod escape;
pub mod expr;
pub mod fleet;
pub mod kustomize;
pub mod lock;
pub mod merge;
pub mod migrate;
pub mod migrate_cmd;
pub mod pack;
pub mod packs_cmd;
pub mod plan;
pub mod prompt;
pub mod render;
pub mod report;
pub mod session;
pub mod stages;
pub mod state;
pub mod tree;
pub mod validate;
