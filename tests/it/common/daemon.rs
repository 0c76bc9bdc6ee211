//! A `tagwarden run` process for tests: started against an emulator, its
//! endpoints read over real HTTP, signalled like systemd or Kubernetes would,
//! and killed if a test leaves it running.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Daemon {
    child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

impl Daemon {
    /// Start `cmd` (already given `run` and a configuration whose
    /// `daemon.listen` has port 0), logging to `log`; read the port the
    /// daemon bound from its "ready" line, and wait until it answers there.
    pub fn start(mut cmd: Command, log: &Path) -> Daemon {
        let out = std::fs::File::create(log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("start tagwarden run");
        let mut d = Daemon {
            child: Some(child),
            port: 0,
            log: log.to_path_buf(),
        };
        d.wait_for("the ready line", Duration::from_secs(60), |d| {
            bound_port(&d.log_text()).is_some()
        });
        d.port = bound_port(&d.log_text()).expect("the ready line names the port");
        d.wait_for("the HTTP listener", Duration::from_secs(60), |d| {
            d.get("/healthz").is_some()
        });
        d
    }

    /// GET `path`: the status code and body, or None when nothing answers.
    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        let status = out.get(9..12)?.parse().ok()?;
        let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string())?;
        Some((status, body))
    }

    pub fn metrics(&self) -> String {
        let (status, body) = self.get("/metrics").expect("/metrics answers");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// One series of /metrics, e.g. `tagwarden_cycles_total{result="ok"}`.
    pub fn metric(&self, series: &str) -> Option<f64> {
        metric(&self.metrics(), series)
    }

    /// Wait until `ready(self)`; fail with the log when it does not come.
    pub fn wait_for(&mut self, what: &str, limit: Duration, ready: impl Fn(&Daemon) -> bool) {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if ready(self) {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
                panic!(
                    "tagwarden run exited ({status}) waiting for {what}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no {what} within {limit:?}; log:\n{}", self.log_text());
    }

    /// Wait until at least `n` cycles ended with `result`.
    pub fn wait_cycles(&mut self, result: &str, n: f64, limit: Duration) {
        let series = format!("tagwarden_cycles_total{{result=\"{result}\"}}");
        self.wait_for(&format!("{n} {result} cycle(s)"), limit, |d| {
            d.metric(&series).unwrap_or(0.0) >= n
        });
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("running").id().to_string();
        let ok = Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap();
        assert!(ok.success(), "kill -{name} {pid}");
    }

    /// Wait for the process to exit: its exit code and how long it took.
    pub fn wait_exit(&mut self, limit: Duration) -> (i32, Duration) {
        let started = Instant::now();
        let mut child = self.child.take().expect("running");
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return (status.code().unwrap_or(-1), started.elapsed());
            }
            if started.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "tagwarden run did not exit within {limit:?}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The port in the daemon's "tagwarden daemon ready" line (text or JSON
/// logs): `listen=127.0.0.1:PORT` or `"listen":"127.0.0.1:PORT"`.
pub fn bound_port(log: &str) -> Option<u16> {
    let line = log.lines().find(|l| l.contains("tagwarden daemon ready"))?;
    let at = ["listen=", "\"listen\":\""]
        .iter()
        .find_map(|k| line.find(k).map(|i| i + k.len()))?;
    let addr: String = line[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    addr.rsplit_once(':')?.1.parse().ok().filter(|p| *p != 0)
}

/// The value of one series in Prometheus text.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .find(|(s, _)| *s == series)
        .and_then(|(_, v)| v.parse().ok())
}
