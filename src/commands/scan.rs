//! `lushaguard scan`: files, directories, standard input, and the archives and container images
//! among them. The sources (`source::worktree`) hand each file to the engine's workers on the
//! walker's threads; findings are collected,
//! filtered by confidence, sorted by (path, line, column) and written once at the end, so the
//! report is the same byte for byte whatever the thread count.

use super::pipeline;
use crate::cli::ScanArgs;
use crate::detect::Detector;
use crate::engine::{Engine, Source};
use crate::settings;
use crate::source::worktree::{ImageDirs, Stdin, WorkTree};
use anyhow::Result;

pub fn run(args: &ScanArgs) -> Result<u8> {
    let settings = settings::scan(args)?;
    let detector = Detector::new(settings.rules.clone()).with_decoding(settings.decode);
    let min = settings.min_confidence;
    let engine = Engine::new(&detector, min, settings.report.progress, "scanning")
        .threads(settings.walk.threads);
    let unpack = &settings.unpack;
    if settings.stdin {
        Stdin { unpack }.scan(&engine)?;
    }
    ImageDirs {
        dirs: &settings.image_dirs,
        unpack,
    }
    .scan(&engine)?;
    WorkTree {
        options: &settings.walk,
        unpack,
    }
    .scan(&engine)?;
    let mut collected = engine.finish();
    collected.suppressed.excluded += settings.walk.exclude.count();
    pipeline::deliver(&detector, collected, min, &settings.report)
}
