//! Validation of reports against the published schemas copied into `tests/schemas/`: JSON
//! Schema with the `jsonschema` crate, the JUnit Ant XSD with `xmllint` (skipped with a note when
//! it is missing, unless `LUSHAGUARD_REQUIRE_XMLLINT` is set, as `.ci/run` does).

use super::repo_root;
use serde_json::Value;

/// The first errors of `doc` against `tests/schemas/<schema_file>`.
pub fn json_errors(schema_file: &str, doc: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(repo_root().join("tests/schemas").join(schema_file))
        .expect("schema file");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    validator
        .iter_errors(doc)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Panics unless `doc` is valid against `tests/schemas/<schema_file>`.
pub fn validate_json(schema_file: &str, doc: &Value) {
    let errors = json_errors(schema_file, doc);
    assert!(errors.is_empty(), "{schema_file}:\n{}", errors.join("\n"));
}

/// Panics unless `xml` is valid against the JUnit Ant XSD.
#[allow(clippy::print_stderr)] // a note on a skipped check goes to the test log
pub fn validate_junit(xml: &str) {
    let have = std::process::Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok();
    if !have {
        assert!(
            std::env::var_os("LUSHAGUARD_REQUIRE_XMLLINT").is_none(),
            "xmllint is required (apt-get install libxml2-utils)"
        );
        eprintln!("note: xmllint not found; JUnit XSD validation skipped (.ci/run installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("report.xml");
    std::fs::write(&file, xml).expect("write");
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(repo_root().join("tests/schemas/junit-ant.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint runs");
    assert!(
        out.status.success(),
        "JUnit report is not valid:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
