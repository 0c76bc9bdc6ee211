//! Test harness: a moto server per test on a free loopback port, SDK clients
//! for seeding it, and a runner for the `tagwarden` binary.

pub mod daemon;
pub mod estate;
pub mod events;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MOTO_HINT: &str = "the AWS emulator (moto) is not installed. Install it with `scripts/setup-emulator.sh` \
(creates .venv with moto[server]==5.2.5), or point TAGWARDEN_EMULATOR_PYTHON at a Python that has moto[server]==5.2.5.";

/// The crash and pause hooks exist only in a binary built with the
/// `test-hooks` feature: a test that drives them fails, saying so, without it.
pub fn needs_test_hooks() {
    #[cfg(not(feature = "test-hooks"))]
    panic!("this test drives the binary's test hooks: run the suite with scripts/test.sh (cargo test --workspace --features tagwarden/test-hooks)");
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped MAP policy file, as a configuration names it.
pub fn map_policy_path() -> String {
    repo_root()
        .join("policies/map-migrated.yaml")
        .display()
        .to_string()
}

/// The Python with moto (`.venv`, or `TAGWARDEN_EMULATOR_PYTHON`).
pub fn emulator_python() -> PathBuf {
    std::env::var_os("TAGWARDEN_EMULATOR_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"))
}

/// Run a Python program with boto3 against the emulator (moto's own
/// dependency: services no SDK crate of ours builds), its output trimmed;
/// the test fails with what it printed when it fails.
fn python(args: &[&str]) -> String {
    let out = Command::new(emulator_python())
        .args(args)
        .output()
        .expect("run the emulator's Python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `tests/it/support/seed_services.py FLAGS… ENDPOINT us-east-1 ACCOUNTS…`:
/// the resources it seeded (its JSON document).
pub fn seed_services(emu: &Emulator, flags: &[&str], accounts: &[&str]) -> serde_json::Value {
    let seeder = repo_root().join("tests/it/support/seed_services.py");
    let endpoint = emu.endpoint();
    let mut args = vec![seeder.to_str().unwrap()];
    args.extend_from_slice(flags);
    args.extend([endpoint.as_str(), "us-east-1"]);
    args.extend_from_slice(accounts);
    serde_json::from_str(&python(&args)).expect("the seeder prints JSON")
}

/// Run `script` with `client`, a boto3 client of `service` in `account`'s
/// us-east-1, entered through AssumeRole as tagwarden does: what it prints.
pub fn boto3(emu: &Emulator, account: &str, service: &str, script: &str) -> String {
    let program = format!(
        "import boto3, sys\n\
         kw = dict(endpoint_url=sys.argv[1], region_name='us-east-1')\n\
         sts = boto3.client('sts', aws_access_key_id='t', aws_secret_access_key='t', **kw)\n\
         c = sts.assume_role(RoleArn='arn:aws:iam::{account}:role/tagwarden-audit', RoleSessionName='test')['Credentials']\n\
         client = boto3.client('{service}', aws_access_key_id=c['AccessKeyId'], aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'], **kw)\n\
         {script}"
    );
    python(&["-c", &program, &emu.endpoint()])
}

/// The ports the emulator bound, from the line it prints first.
struct Ports {
    moto: u16,
    resource_explorer: u16,
    mgn: u16,
    faults: u16,
}

/// Start `tests/it/support/emulator.py` (moto, and the Resource Explorer
/// stand-in in the same process) on `port` (0: any free port, which it
/// picks itself, so parallel tests never race for one).
fn spawn_emulator(port: u16, log: &Path) -> (Child, Ports) {
    let python = emulator_python();
    assert!(
        python.exists(),
        "{MOTO_HINT} (looked for {})",
        python.display()
    );
    let script = repo_root().join("tests/it/support/emulator.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .args(["--port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("{MOTO_HINT} ({}: {e})", python.display()));
    let mut line = String::new();
    let stdout = child.stdout.take().expect("piped");
    let read = std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line);
    let ports: Option<serde_json::Value> = read.ok().and_then(|_| serde_json::from_str(&line).ok());
    let port = |k: &str| ports.as_ref().and_then(|p| p[k].as_u64()).map(|p| p as u16);
    match (
        port("moto"),
        port("resource_explorer"),
        port("mgn"),
        port("faults"),
    ) {
        (Some(moto), Some(resource_explorer), Some(mgn), Some(faults)) => (
            child,
            Ports {
                moto,
                resource_explorer,
                mgn,
                faults,
            },
        ),
        _ => {
            let _ = child.kill();
            panic!(
                "the emulator did not start: {}\n{MOTO_HINT}",
                std::fs::read_to_string(log).unwrap_or_default()
            )
        }
    }
}

/// A running moto server (with the Resource Explorer stand-in), stopped
/// when dropped.
pub struct Emulator {
    child: Child,
    pub port: u16,
    /// The Resource Explorer stand-in's port.
    pub explorer_port: u16,
    /// The Application Migration Service stand-in's port.
    pub mgn_port: u16,
    /// The fault proxy in front of moto (tests/it/support/faults.py).
    pub faults_port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Emulator {
    /// Start the emulator. Never skips: without moto the test fails and
    /// says how to install it.
    pub fn start() -> Emulator {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("moto.log");
        let (child, ports) = spawn_emulator(0, &log);
        let mut emu = Emulator {
            child,
            port: ports.moto,
            explorer_port: ports.resource_explorer,
            mgn_port: ports.mgn,
            faults_port: ports.faults,
            log,
            _dir: dir,
        };
        assert!(
            emu.wait_until_up(),
            "moto did not answer on port {}: {}\n{MOTO_HINT}",
            emu.port,
            std::fs::read_to_string(&emu.log).unwrap_or_default()
        );
        emu.reset();
        emu
    }

    /// Stop the server, as an outage would (`restart` brings it back on the
    /// same port, empty).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn restart(&mut self) {
        let (child, ports) = spawn_emulator(self.port, &self.log);
        self.child = child;
        self.explorer_port = ports.resource_explorer;
        self.mgn_port = ports.mgn;
        self.faults_port = ports.faults;
        assert!(
            self.wait_until_up(),
            "moto did not restart on port {}",
            self.port
        );
    }

    fn wait_until_up(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if self.http("GET", "/moto-api/", "").is_some() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Wipe every account's state.
    pub fn reset(&self) {
        self.http("POST", "/moto-api/reset", "")
            .expect("moto reset");
    }

    /// A minimal HTTP/1.1 request; the status line and body, or None when
    /// nothing listens yet.
    pub fn http(&self, method: &str, path: &str, body: &str) -> Option<String> {
        self.http_with(method, path, "", body)
    }

    fn http_with(&self, method: &str, path: &str, headers: &str, body: &str) -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        s.write_all(req.as_bytes()).ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        out.starts_with("HTTP/").then_some(out)
    }

    /// A query-protocol call (SNS, SQS) in moto's default account and
    /// us-east-1, for services this project has no SDK crate for. The
    /// emulator does not check signatures; the credential scope names the
    /// service.
    pub fn query(&self, service: &str, body: &str) -> String {
        let headers = format!(
            "Content-Type: application/x-www-form-urlencoded\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20261126/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n"
        );
        let out = self
            .http_with("POST", "/", &headers, body)
            .expect("emulator answers");
        assert!(
            out.starts_with("HTTP/1.1 200") || out.starts_with("HTTP/1.0 200"),
            "{out}"
        );
        out
    }

    /// Run `tagwarden` with credentials and endpoint for this emulator.
    pub fn tagwarden(&self, args: &[&str]) -> Run {
        self.tagwarden_env(args, &[])
    }

    pub fn tagwarden_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let endpoint = self.endpoint();
        let explorer = self.explorer_endpoint();
        let mgn = self.mgn_endpoint();
        let mut all = vec![
            ("AWS_ENDPOINT_URL", endpoint.as_str()),
            ("AWS_ENDPOINT_URL_RESOURCE_EXPLORER_2", explorer.as_str()),
            ("AWS_ENDPOINT_URL_MGN", mgn.as_str()),
        ];
        all.extend_from_slice(env);
        run_tagwarden(args, &all)
    }

    /// The Resource Explorer stand-in.
    pub fn explorer_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.explorer_port)
    }

    /// Set the stand-in up (index, views, faults): `POST /_control`.
    pub fn explorer(&self, path: &str, body: &str) -> String {
        self.explorer_request("POST", path, body)
    }

    /// The MGN stand-in (tests/it/support/mgn.py).
    pub fn mgn_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.mgn_port)
    }

    /// A control request to the MGN stand-in (`/_control/seed`, `…/state`,
    /// `…/calls`, `…/launch_configuration`), its JSON answer.
    pub fn mgn(&self, method: &str, path: &str, body: &str) -> serde_json::Value {
        let answer = stand_in_request(self.mgn_port, method, path, body);
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("{path}: {e}: {answer}"))
    }

    /// The fault proxy in front of moto: point `AWS_ENDPOINT_URL` here
    /// for AWS that refuses actions per account.
    pub fn faults_endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.faults_port)
    }

    /// Set the fault proxy's denials and stand-in data: `POST /_faults`.
    pub fn faults(&self, settings: &serde_json::Value) {
        stand_in_request(self.faults_port, "POST", "/_faults", &settings.to_string());
    }

    /// The requests the fault proxy saw, per IAM action.
    pub fn faults_calls(&self) -> std::collections::BTreeMap<String, u64> {
        let answer = stand_in_request(self.faults_port, "GET", "/_faults/calls", "");
        serde_json::from_str(&answer).unwrap_or_else(|e| panic!("/_faults/calls: {e}: {answer}"))
    }

    /// What the stand-in answered so far: `GET /_control/calls`.
    pub fn explorer_get(&self, path: &str) -> String {
        self.explorer_request("GET", path, "")
    }

    fn explorer_request(&self, method: &str, path: &str, body: &str) -> String {
        stand_in_request(self.explorer_port, method, path, body)
    }

    /// The command line to run `tagwarden` against this emulator, with test
    /// credentials, not started yet (for the daemon).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = tagwarden_command(args);
        cmd.env("AWS_ENDPOINT_URL", self.endpoint());
        cmd.env(
            "AWS_ENDPOINT_URL_RESOURCE_EXPLORER_2",
            self.explorer_endpoint(),
        );
        cmd.env("AWS_ENDPOINT_URL_MGN", self.mgn_endpoint());
        cmd
    }
}

/// A control request to a stand-in on `port`: its body (the answer must be 200).
fn stand_in_request(port: u16, method: &str, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("the stand-in listens");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(
        out.starts_with("HTTP/1.0 200") || out.starts_with("HTTP/1.1 200"),
        "{out}"
    );
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr)
        })
    }
}

/// How long one run of the binary may take before the test fails.
const RUN_TIMEOUT: Duration = Duration::from_secs(180);

/// Run the binary with test credentials (moto accepts any). A run that does
/// not finish within RUN_TIMEOUT is killed and fails the test, so that a
/// loop (a lost page token) is a failure rather than a hang.
pub fn run_tagwarden(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = tagwarden_command(args);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("run tagwarden");
    wait_and_read(child, args)
}

/// `tagwarden ARGS` with test credentials (moto accepts any) and nothing
/// from the environment that could point it elsewhere.
pub fn tagwarden_command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tagwarden"));
    cmd.args(args)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("TAGWARDEN_CONFIG")
        .env_remove("TAGWARDEN_SHARD")
        .env_remove("TAGWARDEN_TOTAL_SHARDS")
        .env_remove("POD_NAME")
        .env_remove("NOTIFY_SOCKET")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    cmd
}

fn wait_and_read(mut child: Child, args: &[&str]) -> Run {
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + RUN_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for tagwarden") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "tagwarden {args:?} did not finish within {RUN_TIMEOUT:?}; stderr:\n{}",
                stderr.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Write `text` to `dir/name` and return the path as a string.
pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// Write `text` gzip-compressed to `path`, its folders made first.
pub fn write_gz(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(text.as_bytes()).unwrap();
    enc.finish().unwrap();
}

/// `dir/tagwarden.yaml` for the money view: a store in `dir`, MPE ID
/// ABCDE12345, the agreement of January to June 2026, calendar quarters,
/// and no Cost Explorer cache.
pub fn credits_config(dir: &Path) -> String {
    write(
        dir,
        "tagwarden.yaml",
        &format!(
            "store: {}\nmap:\n  mpe_id: ABCDE12345\n  agreement: {{start: 2026-01-01, end: 2026-06-30}}\n  quarters: calendar\n  cost_explorer_cache: \"off\"\n  workload_tags: [app, workload]\n",
            dir.join("state.db").display()
        ),
    )
}

/// (arn, tag, kind) of every finding of an audit report.
pub fn findings(
    report: &serde_json::Value,
) -> std::collections::BTreeSet<(String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["arn"].as_str().unwrap().into(),
                f["tag"].as_str().unwrap().into(),
                f["kind"].as_str().unwrap().into(),
            )
        })
        .collect()
}

/// The items of a JSON array, which must not be empty: a check over every
/// item of an empty list proves nothing.
pub fn non_empty<'a>(v: &'a serde_json::Value, what: &str) -> &'a Vec<serde_json::Value> {
    let items = v
        .as_array()
        .unwrap_or_else(|| panic!("{what} is not a list: {v}"));
    assert!(!items.is_empty(), "{what} is empty");
    items
}

/// Cost Explorer's answer to tagwarden's first query, the usage types the
/// eligible services billed (SERVICE × USAGE_TYPE): one month of `pairs`.
pub fn billed_usage_types(pairs: &[(&str, &str)]) -> serde_json::Value {
    let groups: Vec<serde_json::Value> = pairs
        .iter()
        .map(|(service, usage)| serde_json::json!({"Keys": [service, usage], "Metrics": {"UnblendedCost": {"Amount": "1", "Unit": "USD"}}}))
        .collect();
    serde_json::json!({"ResultsByTime": [{"TimePeriod": {"Start": "2026-01-01", "End": "2026-02-01"}, "Total": {}, "Groups": groups, "Estimated": false}], "DimensionValueAttributes": []})
}
