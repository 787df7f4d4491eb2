//! A progress line on stderr for long scans: shown only when stderr is a terminal and the scan
//! has run for a moment, cleared when it ends, never part of a report.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a scan runs before the indicator appears.
const DELAY: Duration = Duration::from_millis(700);
const TICK: Duration = Duration::from_millis(120);

#[derive(Debug, Default)]
pub struct Counters {
    pub files: AtomicU64,
    pub bytes: AtomicU64,
}

pub struct Progress {
    pub counters: Arc<Counters>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts the indicator if `wanted` and stderr is a terminal.
    pub fn start(wanted: bool, what: &'static str) -> Progress {
        let counters = Arc::new(Counters::default());
        let done = Arc::new(AtomicBool::new(false));
        let thread = (wanted && std::io::stderr().is_terminal()).then(|| {
            let (counters, done) = (Arc::clone(&counters), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut waited = Duration::ZERO;
                while waited < DELAY {
                    if done.load(Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(TICK);
                    waited += TICK;
                }
                let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                while !done.load(Ordering::Relaxed) {
                    let files = counters.files.load(Ordering::Relaxed);
                    let mib = counters.bytes.load(Ordering::Relaxed) as f64 / (1024.0 * 1024.0);
                    let noun = crate::report::plural(files, "file", "files");
                    bar.set_message(format!("{what}: {files} {noun}, {mib:.1} MiB"));
                    bar.tick();
                    std::thread::sleep(TICK);
                }
                bar.finish_and_clear();
            })
        });
        Progress {
            counters,
            done,
            thread,
        }
    }

    /// Stops and clears the indicator.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}
