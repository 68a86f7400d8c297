//! `invites-local import FILE.ndjson`: a platform's existing directory, loaded through the same
//! code as `directory-sync` (one event per line), with a progress bar and a summary.

use std::io::{BufRead, Write};
use std::path::Path;

use directory_sync::{Applied, DirectorySync};
use invites_shared::store::SyncOutcome;
use serde_json::{json, Value};

use crate::Error;

/// Applies every line of `path` in order; the summary of what happened.
pub async fn import(sync: &DirectorySync, path: &Path) -> Result<Value, Error> {
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(path)?)
        .lines()
        .collect::<Result<_, _>>()?;
    let total = lines.iter().filter(|line| !line.trim().is_empty()).count();
    let (mut applied, mut stale, mut done) = (0, 0, 0);
    let mut failed = Vec::new();
    for (number, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match sync.apply_body(line).await {
            Applied::Done(SyncOutcome::Applied) => applied += 1,
            Applied::Done(_) => stale += 1,
            Applied::Malformed(malformed) => {
                failed.push(json!({ "line": number + 1, "reason": malformed.0 }))
            }
            Applied::Failed(reason) => failed.push(json!({ "line": number + 1, "reason": reason })),
        }
        done += 1;
        progress(done, total);
    }
    eprintln!();
    Ok(json!({
        "file": path.display().to_string(),
        "events": total,
        "applied": applied,
        "unchanged": stale,
        "failed": failed,
    }))
}

/// `[#####     ] 50/100` on stderr, redrawn in place.
fn progress(done: usize, total: usize) {
    const WIDTH: usize = 30;
    let filled = WIDTH * done / total.max(1);
    eprint!(
        "\r[{}{}] {done}/{total}",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled)
    );
    let _ = std::io::stderr().flush();
}
