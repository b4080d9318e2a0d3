//! The integration tests: one binary, so the crate and its dependencies are
//! linked once. Each module drives the real `flux-scaffold` binary and judges
//! its output with the real consumers (`common/`).

mod common;

mod addon_exception;
mod cli;
mod cli_flags;
mod completion;
mod containment;
mod deploy_checks;
mod doctor;
mod examples;
mod fleet;
mod hostile_pack;
mod house;
mod iac;
mod import_cycles;
mod init_helm;
mod injection;
mod interactive;
mod kustomize_patch;
mod kustomize_patches;
mod lifecycle;
mod man;
mod man_dir;
mod migrate_apply;
mod migrate_doctor;
mod migrate_plan;
mod migrate_review;
mod migrate_step2;
mod next_steps;
mod output_errors;
mod pack_schema;
mod patch_fuzz;
mod pod_identity_detect;
mod pod_identity_release;
mod recover;
mod regen;
mod reliability;
mod rollback_failures;
mod state_order;
mod terminal;
mod upgrade_refusals;
