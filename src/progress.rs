//! Progress on a terminal: one line per account and region while a scan runs.
//! Hidden when stderr is not a terminal or output is quiet.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;
use tagwarden_core::ScanError;

pub struct Progress {
    multi: MultiProgress,
}

impl Progress {
    pub fn new(quiet: bool) -> Progress {
        let target = if quiet || !std::io::stderr().is_terminal() {
            ProgressDrawTarget::hidden()
        } else {
            ProgressDrawTarget::stderr()
        };
        Progress {
            multi: MultiProgress::with_draw_target(target),
        }
    }

    /// A line for one account and region.
    pub fn bar(&self, account: &str, region: &str) -> Bar {
        let pb = self.multi.add(ProgressBar::new_spinner());
        pb.set_style(
            ProgressStyle::with_template("{spinner} {prefix:.bold} {msg}").expect("valid template"),
        );
        pb.set_prefix(format!("{account} {region}"));
        pb.set_message("scanning…");
        pb.enable_steady_tick(Duration::from_millis(120));
        Bar { pb }
    }

    pub fn clear(&self) {
        let _ = self.multi.clear();
    }
}

pub struct Bar {
    pb: ProgressBar,
}

impl Bar {
    pub fn add(&self, found: usize) {
        self.pb.inc(found as u64);
        self.pb
            .set_message(format!("{} resources…", self.pb.position()));
    }

    pub fn finish(&self, errors: &[ScanError]) {
        let msg = match errors.len() {
            0 => format!("{} resources", self.pb.position()),
            n => format!("{} resources, {n} error(s)", self.pb.position()),
        };
        self.pb.finish_with_message(msg);
    }

    /// The account could not be scanned at all.
    pub fn fail(&self, why: &str) {
        self.pb.finish_with_message(format!("not scanned: {why}"));
    }
}
