//! Fail closed at the end of the pipeline: a run that cannot write every report leaves the
//! earlier reports as they were.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::*;
use serde_json::Value;

fn leak_tree() -> tempfile::TempDir {
    tree(&[(".env", format!("LUSHA_API_KEY={KEY}\n").as_bytes())])
}

/// Files in `dir` whose names say they are lushaguard's temporary reports.
fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".lushaguard-"))
        .collect()
}

#[test]
fn a_run_that_cannot_write_every_report_changes_none() {
    let dir = leak_tree();
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("report.json");
    let sarif = out_dir.path().join("report.sarif");
    std::fs::write(&json, "earlier report\n").unwrap();
    std::fs::write(&sarif, "earlier sarif\n").unwrap();
    let json_arg = json.to_str().unwrap().to_string();
    let sarif_arg = format!("sarif={}", sarif.display());
    for broken in [
        format!(
            "markdown={}",
            out_dir.path().join("no/such/dir.md").display()
        ),
        "junit=/dev/full".to_string(),
    ] {
        let out = run(
            dir.path(),
            &[
                "scan", "--format", "json", "-o", &json_arg, "--write", &sarif_arg, "--write",
                &broken, ".",
            ],
        );
        assert_eq!(out.code, 2, "{broken}: {}", out.all());
        assert_eq!(std::fs::read_to_string(&json).unwrap(), "earlier report\n");
        assert_eq!(std::fs::read_to_string(&sarif).unwrap(), "earlier sarif\n");
        assert!(
            leftovers(out_dir.path()).is_empty(),
            "{:?}",
            leftovers(out_dir.path())
        );
    }
    // A run that writes them all replaces both, keeping each file's permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&json, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let out = run(
        dir.path(),
        &[
            "scan", "--format", "json", "-o", &json_arg, "--write", &sarif_arg, ".",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert!(std::fs::read_to_string(&sarif)
        .unwrap()
        .contains("\"version\": \"2.1.0\""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&json).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    assert!(leftovers(out_dir.path()).is_empty());
}

#[test]
fn reports_to_devices_and_through_symlinks_are_written_in_place() {
    let dir = leak_tree();
    // A device is written, never replaced.
    let out = run(dir.path(), &["scan", "-o", "/dev/null", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let meta = std::fs::metadata("/dev/null").unwrap();
        assert!(meta.file_type().is_char_device());
        // A symbolic link keeps pointing at the report it names.
        let out_dir = tempfile::tempdir().unwrap();
        let real = out_dir.path().join("real.json");
        let link = out_dir.path().join("link.json");
        std::fs::write(&real, "old\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let out = run(
            dir.path(),
            &[
                "scan",
                "--format",
                "json",
                "-o",
                link.to_str().unwrap(),
                ".",
            ],
        );
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::read_to_string(&real).unwrap().contains("findings"));
    }
}
