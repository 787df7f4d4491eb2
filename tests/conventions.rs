//! What users of ripgrep, ruff and gitleaks expect of a command-line tool: shell completions
//! that the shells themselves load, a man page that groff renders without a warning, colour on
//! a terminal that `NO_COLOR` and `--color` control, a summary line when the report goes to a
//! file, help grouped under headings with defaults, and `verify` that does not sit waiting on a
//! terminal. The shells, groff and `script` come from the system (Debian: bash, zsh, fish,
//! groff-base, bsdutils); a test whose tool is missing says so and checks what it can, unless
//! `LUSHAGUARD_REQUIRE_TOOLS` is set (CI sets it), when it fails.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test
#![allow(clippy::print_stderr)] // notes on skipped checks go to the test log

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};

const ESC: &str = "\x1b[";

fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("LUSHAGUARD_REQUIRE_TOOLS").is_none(),
            "{tool} is not installed, and LUSHAGUARD_REQUIRE_TOOLS is set"
        );
        eprintln!("note: {tool} is not installed; that part of the test is skipped");
    }
    found
}

/// Runs `program args` in `dir` with nothing on its standard input; returns (status, stdout,
/// stderr).
fn sh(program: &str, args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn completion_script(shell: &str) -> String {
    let out = run(Path::new("."), &["completions", shell]);
    assert_eq!(out.code, 0, "{shell}: {}", out.all());
    assert!(!out.stdout.is_empty(), "{shell}");
    assert_eq!(out.stderr, "", "{shell}");
    out.stdout
}

#[test]
fn completions_are_generated_for_every_shell_and_load_in_the_installed_ones() {
    // Every shell's script names the subcommands and the values of --format.
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = completion_script(shell);
        for word in ["scan", "verify", "completions", "min-confidence", "sarif"] {
            assert!(script.contains(word), "{shell} lacks {word}");
        }
    }
    let bad = run(Path::new("."), &["completions", "tcsh"]);
    assert_eq!(bad.code, 2, "{}", bad.all());

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    if have("bash") {
        std::fs::write(d.join("lushaguard.bash"), completion_script("bash")).unwrap();
        // Loaded, then asked to complete `lushaguard scan --format j`.
        let (code, stdout, stderr) = sh(
            "bash",
            &[
                "-c",
                "set -e; source ./lushaguard.bash; COMP_WORDS=(lushaguard scan --format j); \
                 COMP_CWORD=3; _lushaguard lushaguard j --format; echo \"${COMPREPLY[*]}\"",
            ],
            d,
        );
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert_eq!(stderr, "");
        assert_eq!(stdout.trim(), "json jsonl junit", "{stdout}");
    }
    if have("zsh") {
        std::fs::write(d.join("_lushaguard"), completion_script("zsh")).unwrap();
        let (code, stdout, stderr) = sh(
            "zsh",
            &[
                "-f",
                "-c",
                "autoload -Uz compinit && compinit -u -D && source ./_lushaguard && \
                 print -r -- ${_comps[lushaguard]} && whence -w _lushaguard",
            ],
            d,
        );
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert_eq!(stderr, "");
        assert_eq!(stdout, "_lushaguard\n_lushaguard: function\n");
    }
    if have("fish") {
        std::fs::write(d.join("lushaguard.fish"), completion_script("fish")).unwrap();
        let (code, stdout, stderr) = sh(
            "fish",
            &[
                "--no-config",
                "-c",
                "source lushaguard.fish; complete -C 'lushaguard sc'; \
                 complete -C 'lushaguard scan --min-confidence '",
            ],
            d,
        );
        assert_eq!(code, 0, "{stdout}{stderr}");
        assert_eq!(stderr, "");
        assert!(stdout.starts_with("scan\t"), "{stdout}");
        assert!(stdout.contains("\nhigh"), "{stdout}");
    }
}

#[test]
fn the_man_pages_render_without_warnings() {
    let out = run(Path::new("."), &["man"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let page = out.stdout;
    assert!(page.contains(".TH lushaguard 1"), "{page}");
    for section in [
        ".SH SYNOPSIS",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        "NO_COLOR",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    let sub = run(Path::new("."), &["man", "hook", "uninstall"]);
    assert_eq!(sub.code, 0, "{}", sub.all());
    assert!(sub.stdout.contains(".TH lushaguard-hook-uninstall 1"));
    let bad = run(Path::new("."), &["man", "nope"]);
    assert_eq!(bad.code, 2, "{}", bad.all());

    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("man1");
    let out = run(Path::new("."), &["man", "--dir", pages.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.all());
    let mut names: Vec<String> = std::fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in [
        "lushaguard.1",
        "lushaguard-scan.1",
        "lushaguard-hook-uninstall.1",
    ] {
        assert!(names.contains(&name.to_string()), "{names:?}");
    }
    assert_eq!(
        std::fs::read_to_string(pages.join("lushaguard.1")).unwrap(),
        page,
        "the printed page is the page written"
    );
    if !have("groff") {
        return;
    }
    for name in &names {
        // -ww: every warning; -z: no output, only the diagnostics.
        let (code, stdout, stderr) = sh(
            "groff",
            &[
                "-man",
                "-Tutf8",
                "-ww",
                "-z",
                pages.join(name).to_str().unwrap(),
            ],
            dir.path(),
        );
        assert_eq!(code, 0, "{name}: {stdout}{stderr}");
        assert_eq!(stderr, "", "{name}: groff warns");
    }
    // And it reads as a page: the name line and an option with its default.
    let (code, text, _) = sh(
        "groff",
        &[
            "-man",
            "-Tascii",
            "-P-cbou",
            pages.join("lushaguard-scan.1").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(code, 0);
    assert!(text.contains("lushaguard-scan"), "{text}");
    assert!(text.contains("--min-confidence <LEVEL>"), "{text}");
    assert!(text.contains("[default: medium]"), "{text}");
}

/// The environment of a run where colour is up to the flags: NO_COLOR empty counts as unset.
const COLOR_FREE: &[(&str, &str)] = &[("NO_COLOR", ""), ("CLICOLOR_FORCE", "")];

#[test]
fn colour_follows_the_flag_the_environment_and_the_stream() {
    let dir = leak_tree();
    let colored = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = COLOR_FREE.to_vec();
        all.extend_from_slice(env);
        let out = run_with(dir.path(), args, None, &all);
        assert_eq!(out.code, 1, "{args:?}: {}", out.all());
        out
    };
    // --color always: the human report and the warnings are painted.
    let out = colored(&["scan", "--color", "always", "--exclude", "[", "."], &[]);
    assert!(
        out.stdout.contains(&format!("{ESC}1;31mhigh{ESC}0m")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("{ESC}1m.env:1:15:{ESC}0m")),
        "{}",
        out.stdout
    );
    // Painting adds escapes, never changes the words.
    let plain = colored(&["scan", "--color", "never", "."], &[]);
    assert!(!plain.all().contains(ESC), "{}", plain.all());
    assert_eq!(
        strip_escapes(&colored(&["scan", "--color", "always", "."], &[]).stdout),
        plain.stdout
    );
    // A pipe is plain by default, and NO_COLOR keeps it so even when CLICOLOR_FORCE is set.
    assert!(!colored(&["scan", "."], &[]).all().contains(ESC));
    assert!(!colored(
        &["scan", "."],
        &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]
    )
    .all()
    .contains(ESC));
    // CLICOLOR_FORCE colours a pipe; the flag outranks the environment both ways.
    assert!(colored(&["scan", "."], &[("CLICOLOR_FORCE", "1")])
        .stdout
        .contains(ESC));
    assert!(!colored(
        &["scan", "--color", "never", "."],
        &[("CLICOLOR_FORCE", "1")]
    )
    .all()
    .contains(ESC));
    assert!(
        colored(&["scan", "--color=always", "."], &[("NO_COLOR", "1")])
            .stdout
            .contains(ESC)
    );
    // Machine formats and report files are never painted.
    for (_, format) in formats()
        .into_iter()
        .filter(|(f, _)| *f != lushaguard::report::Format::Human)
    {
        let out = colored(
            &["scan", "--color", "always", "--format", &format, "."],
            &[],
        );
        assert!(!out.stdout.contains(ESC), "{format}: {}", out.stdout);
    }
    let out = colored(
        &[
            "scan",
            "--color",
            "always",
            "-o",
            "report.txt",
            "--write",
            "markdown=r.md",
            ".",
        ],
        &[],
    );
    for file in ["report.txt", "r.md"] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains("6f1c****"), "{file}: {text}");
        assert!(!text.contains(ESC), "{file}: {text}");
    }
    // The summary line on stderr is for people: it is painted.
    assert!(out.stderr.contains(ESC), "{}", out.stderr);
}

#[test]
fn warnings_and_errors_are_painted_only_when_asked() {
    let dir = tree(&[]);
    let out = run_with(
        dir.path(),
        &["scan", "--color", "always", "nope"],
        None,
        COLOR_FREE,
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with(&format!("lushaguard: {ESC}1;31merror:{ESC}0m nope")),
        "{}",
        out.stderr
    );
    let out = run_with(dir.path(), &["scan", "nope"], None, COLOR_FREE);
    assert!(
        out.stderr.starts_with("lushaguard: error: nope"),
        "{}",
        out.stderr
    );
    // A warning: a symbolic link loop.
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("loop", dir.path().join("loop")).unwrap();
        let out = run_with(
            dir.path(),
            &["scan", "--color", "always", "-L", "."],
            None,
            COLOR_FREE,
        );
        assert!(
            out.stderr
                .contains(&format!("lushaguard: {ESC}1;33mwarning:{ESC}0m")),
            "{}",
            out.stderr
        );
    }
}

fn strip_escapes(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(ESC) {
        out.push_str(&rest[..i]);
        let after = &rest[i + ESC.len()..];
        let end = after.find('m').map_or(after.len(), |j| j + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn a_report_in_a_file_leaves_one_summary_line_on_stderr() {
    let dir = leak_tree();
    let out = run(
        dir.path(),
        &["scan", "--format", "sarif", "-o", "out.sarif", "."],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "lushaguard: 1 finding (1 high) of 1 distinct key; 1 file (51 B) scanned; report in \
         out.sarif\n"
    );
    // A clean run says so too; --quiet silences it.
    let clean = tree(&[("a.txt", b"nothing here\n")]);
    let out = run(
        clean.path(),
        &["scan", "-o", "r.json", "--format", "json", "."],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        out.stderr,
        "lushaguard: No secrets found at medium confidence or above; 1 file (13 B) scanned; \
         report in r.json\n"
    );
    let out = run(clean.path(), &["scan", "-q", "-o", "r.json", "."]);
    assert_eq!(out.stderr, "");
    // Without -o the report itself is the summary: nothing extra on stderr.
    let out = run(dir.path(), &["scan", "--write", "json=r.json", "."]);
    assert_eq!(out.stderr, "", "{}", out.stderr);
    // What could not be scanned is in the line as well.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let locked = dir.path().join("locked");
        std::fs::create_dir(&locked).unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read_dir(&locked).is_err() {
            let out = run(dir.path(), &["scan", "-o", "r.txt", "."]);
            let last = out.stderr.lines().last().unwrap_or_default().to_string();
            assert!(
                last.contains("INCOMPLETE: 1 item not scanned; report in r.txt"),
                "{}",
                out.stderr
            );
        }
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn help_groups_options_under_headings_and_shows_defaults() {
    let out = run(Path::new("."), &["scan", "--help"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let help = out.stdout;
    let at = |heading: &str| {
        help.find(&format!("\n{heading}:\n"))
            .unwrap_or_else(|| panic!("no {heading} heading in\n{help}"))
    };
    let headings = [
        "Input",
        "Output",
        "Detection",
        "Verification",
        "Suppression",
    ];
    let places: Vec<usize> = headings.iter().map(|h| at(h)).collect();
    assert!(places.windows(2).all(|w| w[0] < w[1]), "{help}");
    // Each option sits under its heading.
    for (option, heading) in [
        ("--exclude", "Input"),
        ("--format", "Output"),
        ("--color", "Output"),
        ("--min-confidence", "Detection"),
        ("--verify-deadline", "Verification"),
        ("--baseline", "Suppression"),
    ] {
        let i = help
            .find(&format!("      {option} "))
            .or_else(|| help.find(&format!(", {option} ")));
        let i = i.unwrap_or_else(|| panic!("no {option}"));
        let under = headings
            .iter()
            .zip(&places)
            .rfind(|(_, &p)| p < i)
            .map(|(h, _)| *h);
        assert_eq!(under, Some(heading), "{option}");
    }
    for default in [
        "[default: human]",
        "[default: medium]",
        "[default: auto]",
        "[default: 4]",
        "[default: 10]",
        "[default: 120]",
        "[default: 3600]",
        "[default: any]",
    ] {
        assert!(help.contains(default), "no {default} in\n{help}");
    }
}

/// Runs `lushaguard ARGS` with a terminal for its standard streams (`script` gives it a
/// pseudo-terminal), killed after 20 seconds if it waits for input; `None` when `script` or
/// `timeout` is missing.
fn on_a_terminal(args: &str) -> Option<Output> {
    if !have("script") || !have("timeout") {
        return None;
    }
    let command = format!("{} {args}", bin().display());
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("timeout")
        .args(["20", "script", "-q", "-e", "-c", &command, "/dev/null"])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Some(Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

#[test]
fn verify_on_a_terminal_without_keys_prints_its_usage_instead_of_waiting() {
    let Some(out) = on_a_terminal("verify") else {
        return;
    };
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.all().contains("Usage: lushaguard verify"),
        "{}",
        out.all()
    );
    assert!(out.all().contains("pipe them in"), "{}", out.all());
}
