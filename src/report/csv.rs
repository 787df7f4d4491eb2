//! CSV (RFC 4180): a header row, always, then one row per finding, CRLF line ends, and a field
//! quoted when it holds a comma, a quote, CR or LF. The columns are a stable interface
//! (`COLUMNS`); a `secret` column is added at the end only with `--no-redact`.

use super::Options;
use crate::model::{Finding, Report};
use std::io::{self, Write};

pub const COLUMNS: [&str; 12] = [
    "rule_id",
    "path",
    "line",
    "column",
    "end_column",
    "confidence",
    "score",
    "encoding",
    "redacted",
    "fingerprint",
    "commit",
    "verification",
];

/// One field, quoted if it has to be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn row(out: &mut dyn Write, fields: &[String]) -> io::Result<()> {
    let line: Vec<String> = fields.iter().map(|f| field(f)).collect();
    out.write_all(line.join(",").as_bytes())?;
    out.write_all(b"\r\n")
}

fn cells(f: &Finding, options: Options) -> Vec<String> {
    let mut cells = vec![
        f.rule_id.clone(),
        f.path.clone(),
        f.line.to_string(),
        f.column.to_string(),
        f.end_column.to_string(),
        f.confidence.to_string(),
        f.score.to_string(),
        f.encoding.map(|e| e.as_str()).unwrap_or("").to_string(),
        f.secret.redacted(),
        f.secret.fingerprint(),
        f.commit().map(|c| c.id.clone()).unwrap_or_default(),
        f.verification
            .as_ref()
            .map(|v| v.status.as_str())
            .unwrap_or("")
            .to_string(),
    ];
    if options.reveal {
        cells.push(f.secret.expose().to_string());
    }
    cells
}

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    let mut header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    if options.reveal {
        header.push("secret".to_string());
    }
    row(out, &header)?;
    for f in &report.findings {
        row(out, &cells(f, options))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(field("plain/path.env"), "plain/path.env");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }
}
