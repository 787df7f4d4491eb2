//! Is a file data or code? The answer changes what structure means: in a data file (YAML, TOML,
//! JSON, INI, XML, properties, HCL) a block is a configuration section and may belong to another
//! service; in code a block is usually syntax (a call, a `const (` group, a function or class body)
//! and says nothing about services, while an identifier can carry a value to where it is used.
//! The extension decides; a file without a known one is judged by its first bytes.

/// What kind of text a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Configuration or data: blocks are sections that can name a service.
    Data,
    /// Delimiter-separated rows under a header row (CSV, TSV).
    Table(u8),
    /// Source code: blocks are syntax, identifiers carry values.
    Code,
    /// Anything else (documentation, logs, plain text): both readings are possible.
    Text,
}

const DATA: &[&str] = &[
    "json",
    "jsonc",
    "json5",
    "jsonl",
    "ndjson",
    "har",
    "yaml",
    "yml",
    "toml",
    "ini",
    "cfg",
    "conf",
    "cnf",
    "properties",
    "env",
    "xml",
    "plist",
    "config",
    "settings",
    "resx",
    "xaml",
    "csproj",
    "vbproj",
    "fsproj",
    "vcxproj",
    "props",
    "targets",
    "nuspec",
    "wxs",
    "wxi",
    "pom",
    "tf",
    "tfvars",
    "tfstate",
    "hcl",
    "nomad",
    "reg",
    "bru",
    "http",
    "rest",
    "ipynb",
    "neon",
    "editorconfig",
    "npmrc",
    "yarnrc",
    "pypirc",
    "netrc",
    "gitconfig",
    "sln",
    "meta",
    "prefab",
];

const CODE: &[&str] = &[
    "js",
    "mjs",
    "cjs",
    "jsx",
    "ts",
    "mts",
    "cts",
    "tsx",
    "vue",
    "svelte",
    "py",
    "pyw",
    "rb",
    "rake",
    "gemspec",
    "go",
    "java",
    "kt",
    "kts",
    "scala",
    "groovy",
    "gradle",
    "cs",
    "csx",
    "vb",
    "fs",
    "fsx",
    "php",
    "phtml",
    "swift",
    "m",
    "mm",
    "rs",
    "c",
    "h",
    "cc",
    "cpp",
    "cxx",
    "hpp",
    "hh",
    "dart",
    "lua",
    "pl",
    "pm",
    "r",
    "jl",
    "ex",
    "exs",
    "erl",
    "clj",
    "cljs",
    "elm",
    "hs",
    "ml",
    "sh",
    "bash",
    "zsh",
    "fish",
    "ksh",
    "ps1",
    "psm1",
    "psd1",
    "bat",
    "cmd",
    "sql",
    "nim",
    "zig",
    "v",
    "cr",
    "tcl",
    "awk",
    "zshrc",
    "bashrc",
    "profile",
    "bash_profile",
];

/// File names without an extension that are code.
const CODE_NAMES: &[&str] = &[
    "dockerfile",
    "containerfile",
    "makefile",
    "jenkinsfile",
    "rakefile",
    "gemfile",
    "vagrantfile",
    "justfile",
    "brewfile",
    "podfile",
    "fastfile",
];

/// The kind of the file at `path` whose text starts with `head`.
pub fn classify(path: &str, head: &[u8]) -> FileKind {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let ext = match lower.rfind('.') {
        Some(dot) => &lower[dot + 1..],
        None => "",
    };
    match ext {
        "csv" => return FileKind::Table(b','),
        "tsv" | "tab" => return FileKind::Table(b'\t'),
        "psv" => return FileKind::Table(b'|'),
        _ => {}
    }
    if DATA.contains(&ext) || lower.starts_with(".env") {
        return FileKind::Data;
    }
    if CODE.contains(&ext) || CODE_NAMES.contains(&lower.as_str()) {
        return FileKind::Code;
    }
    sniff(head)
}

/// Judges text without a known extension by how it starts.
fn sniff(head: &[u8]) -> FileKind {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let t = &head[start..];
    if t.starts_with(b"#!") {
        return FileKind::Code;
    }
    if t.starts_with(b"<?xml") || t.starts_with(b"---\n") || t.starts_with(b"---\r\n") {
        return FileKind::Data;
    }
    if matches!(t.first(), Some(b'{')) {
        return FileKind::Data;
    }
    FileKind::Text
}

impl FileKind {
    /// Can an identifier in this file carry a value to where it is used?
    pub fn has_code(self) -> bool {
        matches!(self, FileKind::Code | FileKind::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_then_content() {
        assert_eq!(classify("config/app.yaml", b""), FileKind::Data);
        assert_eq!(classify("a/.env.production", b""), FileKind::Data);
        assert_eq!(classify("ios/Info.plist", b""), FileKind::Data);
        assert_eq!(classify("src/api.ts", b"{"), FileKind::Code);
        assert_eq!(classify("deploy/Dockerfile", b""), FileKind::Code);
        assert_eq!(classify("x/rows.csv", b""), FileKind::Table(b','));
        assert_eq!(classify("x/rows.TSV", b""), FileKind::Table(b'\t'));
        assert_eq!(classify("bin/run", b"#!/bin/sh\n"), FileKind::Code);
        assert_eq!(classify("dump", b"  {\"a\": 1}"), FileKind::Data);
        assert_eq!(classify("README.md", b"# Title"), FileKind::Text);
    }
}
