//! `.pre-commit-hooks.yaml` is what the pre-commit framework reads from this repository: it must
//! match pre-commit's schema (a copy of SchemaStore's `pre-commit-hooks.json` is kept in
//! tests/schemas/, so this runs on a fresh clone) and run the commands this binary really has.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::repo_root;
use serde_json::Value;

fn manifest() -> Value {
    let text = std::fs::read_to_string(repo_root().join(".pre-commit-hooks.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

#[test]
fn the_hook_manifest_matches_the_pre_commit_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("tests/schemas/pre-commit-hooks.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let hooks = manifest();
    let errors: Vec<String> = validator
        .iter_errors(&hooks)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    // The schema is not a rubber stamp: an unknown key is an error.
    let mut broken = hooks.clone();
    broken[0]["entry_point"] = Value::from("oops");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn the_hooks_run_lushaguard_on_the_staged_changes_and_on_pushes() {
    let hooks = manifest();
    let hook = |id: &str| {
        hooks
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no hook {id}"))
    };
    let commit = hook("lushaguard");
    assert_eq!(commit["language"], "rust");
    assert_eq!(commit["pass_filenames"], false);
    assert_eq!(commit["stages"], serde_json::json!(["pre-commit"]));
    assert!(commit["entry"]
        .as_str()
        .unwrap()
        .starts_with("lushaguard git --staged"));
    let push = hook("lushaguard-pre-push");
    assert_eq!(push["stages"], serde_json::json!(["pre-push"]));

    // The -system variants run an installed binary (pipx, cargo, a release archive) and do
    // exactly what the built ones do.
    for (system, built) in [
        ("lushaguard-system", &commit),
        ("lushaguard-pre-push-system", &push),
    ] {
        let system = hook(system);
        assert_eq!(system["language"], "system");
        for field in ["entry", "pass_filenames", "always_run", "stages"] {
            assert_eq!(system[field], built[field], "{field}");
        }
    }

    // Each entry is a command line this binary accepts.
    for h in hooks.as_array().unwrap() {
        let entry = h["entry"].as_str().unwrap();
        let mut args: Vec<&str> = entry.split_whitespace().skip(1).collect();
        args.push("--help");
        let out = common::run(&repo_root(), &args);
        assert_eq!(
            out.code,
            0,
            "`{entry}` is not a valid command: {}",
            out.all()
        );
    }
}
