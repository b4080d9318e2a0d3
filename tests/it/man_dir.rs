//! `man --dir DIR` writes inside DIR only: a link at a page's path is
//! replaced, not followed; a DIR that is a file is bad input.

use std::path::Path;

use crate::common::*;

fn man_dir(dir: &Path) -> std::process::Output {
    bin().arg("man").arg("--dir").arg(dir).output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_link_at_a_page_path_is_replaced_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    std::fs::write(&outside, "mine\n").unwrap();
    let dir = tmp.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    let page = dir.join("flux-scaffold-man.1");
    std::os::unix::fs::symlink(&outside, &page).unwrap();
    assert_success(&man_dir(&dir));
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "mine\n");
    assert!(!page.symlink_metadata().unwrap().is_symlink());
    assert!(std::fs::read_to_string(&page).unwrap().contains(".TH"));
}

#[test]
fn a_dir_that_is_a_file_is_bad_input() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f");
    std::fs::write(&file, "keep\n").unwrap();
    refused(&man_dir(&file), "not a folder");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep\n");
}
