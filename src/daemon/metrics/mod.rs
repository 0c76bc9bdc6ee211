//! The Prometheus metrics (`/metrics`), set from each cycle's results so a
//! scrape never calls AWS. Names carry the `tagwarden_` prefix and base
//! units; labels come only from bounded sets (accounts, regions, services,
//! operations, policies, finding kinds, results, MGN wave names), never a
//! resource id.
//! A leaf: it records the plain values of `outcome` and imports nothing
//! else of the daemon.

mod events;

pub use events::EventMetrics;

use super::outcome::CycleOutput;
use super::outcome::ScanRecord;
use crate::aws::Requests;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use tagwarden_core::cycle_summary::CycleResult;
use tagwarden_core::mgn::waves::WaveRow;
use tagwarden_core::shard::Shard;

type Labels = Vec<(&'static str, String)>;
type GaugeF = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Result_ {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Reason {
    reason: &'static str,
}

/// How a configuration reload ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    Success,
    Failure,
}

impl Reload {
    fn label(self) -> &'static str {
        match self {
            Reload::Success => "success",
            Reload::Failure => "failure",
        }
    }
}

/// A cycle due while the previous one still ran.
const SKIPPED: &str = "skipped";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Account {
    account: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AccountPolicy {
    account: String,
    policy: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Finding {
    account: String,
    policy: String,
    kind: &'static str,
}

/// A wave's servers in one account (its regions added up), ready or not.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WaveServers {
    wave: String,
    account: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Policy {
    policy: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    service: String,
    operation: String,
}

impl Operation {
    /// `ec2:DescribeInstances` → service `ec2`, operation `DescribeInstances`.
    fn of(name: &str) -> Operation {
        let (service, operation) = name.split_once(':').unwrap_or(("aws", name));
        Operation {
            service: service.to_string(),
            operation: operation.to_string(),
        }
    }
}

pub struct Metrics {
    registry: Registry,
    /// A scrape never sees a cycle's gauges half replaced: recording holds
    /// this for writing, encoding for reading.
    consistent: std::sync::RwLock<()>,
    journal_pending: Gauge,
    restores_capped: Gauge,
    cycles: Family<Result_, Counter>,
    cycle_failures: Family<Reason, Counter>,
    cycle_duration: Histogram,
    last_success: GaugeF,
    last_cycle: GaugeF,
    interval: GaugeF,
    resources_scanned: Family<Account, Gauge>,
    in_scope: Family<AccountPolicy, Gauge>,
    non_compliant: Family<AccountPolicy, Gauge>,
    findings: Family<Finding, Gauge>,
    compliance_ratio: Family<Policy, GaugeF>,
    wave_servers: Family<WaveServers, Gauge>,
    account_scan_success: Family<Account, Gauge>,
    changes_applied: Family<Account, Counter>,
    changes_failed: Family<Account, Counter>,
    aws_requests: Family<Operation, Counter>,
    aws_throttles: Family<Operation, Counter>,
    reloads: Family<Result_, Counter>,
    /// Tag on create.
    pub events: EventMetrics,
}

impl Metrics {
    pub fn new(shard: Shard) -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("tagwarden"),
            consistent: std::sync::RwLock::new(()),
            journal_pending: Gauge::default(),
            restores_capped: Gauge::default(),
            cycles: Family::default(),
            cycle_failures: Family::default(),
            cycle_duration: Histogram::new(exponential_buckets(0.5, 2.0, 14)),
            last_success: GaugeF::default(),
            last_cycle: GaugeF::default(),
            interval: GaugeF::default(),
            resources_scanned: Family::default(),
            in_scope: Family::default(),
            non_compliant: Family::default(),
            findings: Family::default(),
            compliance_ratio: Family::default(),
            wave_servers: Family::default(),
            account_scan_success: Family::default(),
            changes_applied: Family::default(),
            changes_failed: Family::default(),
            aws_requests: Family::default(),
            aws_throttles: Family::default(),
            reloads: Family::default(),
            events: EventMetrics::default(),
        };
        m.register(shard);
        // Every result shows from the start, at zero.
        for r in CycleResult::ALL.iter().map(|r| r.label()).chain([SKIPPED]) {
            let _ = m.cycles.get_or_create(&result(r));
        }
        for r in [Reload::Success, Reload::Failure] {
            let _ = m.reloads.get_or_create(&result(r.label()));
        }
        m
    }

    fn register(&mut self, shard: Shard) {
        let r = &mut self.registry;
        let build: Labels = vec![("version", env!("CARGO_PKG_VERSION").to_string())];
        r.register("build", "tagwarden's version", Info::new(build));
        let shard: Labels = vec![
            ("shard", shard.index.to_string()),
            ("total_shards", shard.total.to_string()),
        ];
        let about_shard =
            "This replica's shard: it scans the accounts whose id modulo total_shards is shard";
        r.register("shard", about_shard, Info::new(shard));
        self.register_cycles();
        self.register_last_scan();
        self.register_counters();
        self.events.register(&mut self.registry);
    }

    fn register_cycles(&mut self) {
        let r = &mut self.registry;
        let skipped = "Cycles by result (skipped: due while the previous one still ran)";
        r.register("cycles", skipped, self.cycles.clone());
        let failures = self.cycle_failures.clone();
        r.register("cycle_failures", "Failed cycles by reason", failures);
        let duration = self.cycle_duration.clone();
        r.register_with_unit(
            "cycle_duration",
            "How long cycles took",
            Unit::Seconds,
            duration,
        );
        let times = [
            (
                "last_successful_cycle_timestamp",
                "When the last cycle that did not fail finished (Unix time)",
                &self.last_success,
            ),
            (
                "last_cycle_timestamp",
                "When the last cycle finished (Unix time)",
                &self.last_cycle,
            ),
            (
                "cycle_interval",
                "daemon.interval: how often a cycle starts (/readyz wants one within two)",
                &self.interval,
            ),
        ];
        for (name, help, g) in times {
            r.register_with_unit(name, help, Unit::Seconds, g.clone());
        }
    }

    /// The gauges replaced by each cycle's scan.
    fn register_last_scan(&mut self) {
        let r = &mut self.registry;
        let per_account = [
            (
                "resources_scanned",
                "Resources inventoried in the last cycle, per account",
                &self.resources_scanned,
            ),
            (
                "account_scan_success",
                "1 when every region of the account was scanned in the last cycle",
                &self.account_scan_success,
            ),
        ];
        for (name, help, g) in per_account {
            r.register(name, help, g.clone());
        }
        let per_policy = [
            (
                "resources_in_scope",
                "Resources in scope of a policy in the last cycle",
                &self.in_scope,
            ),
            (
                "resources_non_compliant",
                "Resources not compliant with a policy in the last cycle",
                &self.non_compliant,
            ),
        ];
        for (name, help, g) in per_policy {
            r.register(name, help, g.clone());
        }
        let findings = "Findings of the last cycle by policy, kind and account";
        r.register("findings", findings, self.findings.clone());
        let ratio = "Compliant share of the resources in scope of a policy in the last cycle";
        r.register("compliance_ratio", ratio, self.compliance_ratio.clone());
        let waves = "Source servers of an MGN wave in an account whose launch (and launched instance) carries the policies' tags (ready) or not (not_ready), in the last cycle";
        r.register("wave_servers", waves, self.wave_servers.clone());
    }

    fn register_counters(&mut self) {
        let r = &mut self.registry;
        let changes = [
            (
                "changes_applied",
                "Tag changes written and verified",
                &self.changes_applied,
            ),
            (
                "changes_failed",
                "Tag changes that failed",
                &self.changes_failed,
            ),
        ];
        for (name, help, c) in changes {
            r.register(name, help, c.clone());
        }
        let aws = [
            ("aws_requests", "Requests sent to AWS", &self.aws_requests),
            (
                "aws_throttles",
                "Throttling answers from AWS that reached tagwarden",
                &self.aws_throttles,
            ),
        ];
        for (name, help, c) in aws {
            r.register(name, help, c.clone());
        }
        let capped = "Keys the last enforce cycle left alone because they were written back daemon.events.restore_limit times within restore_window";
        r.register("restores_capped", capped, self.restores_capped.clone());
        let pending = "Journal entries written but not yet settled (an interrupted apply)";
        r.register("journal_pending", pending, self.journal_pending.clone());
        let reloads = "Configuration reloads (SIGHUP) by result";
        r.register("config_reloads", reloads, self.reloads.clone());
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let _consistent = self.consistent.read().expect("metrics");
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }

    /// `daemon.interval`, at start and on each reload.
    pub fn interval(&self, interval: std::time::Duration) {
        self.interval.set(interval.as_secs_f64());
    }

    /// Pending journal entries found at start.
    pub fn pending_at_start(&self, n: usize) {
        self.journal_pending.set(n as i64);
    }

    /// Requests made: a cycle's, or those tag on create made since it last
    /// added its own.
    pub fn add_requests(&self, requests: &Requests) {
        add_per_operation(&self.aws_requests, &requests.calls);
        add_per_operation(&self.aws_throttles, &requests.throttles);
    }

    pub fn skipped(&self) {
        self.cycles.get_or_create(&result(SKIPPED)).inc();
    }

    pub fn reload(&self, outcome: Reload) {
        self.reloads.get_or_create(&result(outcome.label())).inc();
    }

    /// Everything a finished cycle tells. The last-cycle gauges are
    /// replaced whole, so an account or policy that went away disappears.
    pub fn record(&self, out: &CycleOutput, now_unix: f64) {
        let _consistent = self.consistent.write().expect("metrics");
        let label = out.result.label();
        self.cycles.get_or_create(&result(label)).inc();
        if let Some(n) = out.journal_pending {
            self.journal_pending.set(n as i64);
        }
        if let Some(n) = out.capped {
            self.restores_capped.set(n as i64);
        }
        if out.result == CycleResult::Cancelled {
            // Cut short: its duration and results say nothing of a cycle.
            add_per_operation(&self.aws_requests, &out.requests.calls);
            return;
        }
        self.cycle_duration.observe(out.summary.duration_seconds);
        self.last_cycle.set(now_unix);
        if let Some(failure) = out.failure {
            self.cycle_failures
                .get_or_create(&Reason {
                    reason: failure.label(),
                })
                .inc();
        }
        if out.result != CycleResult::Failed {
            self.last_success.set(now_unix);
        }
        self.add_requests(&out.requests);
        for (account, counts) in &out.changes_by_account {
            let a = account_label(account);
            self.changes_applied
                .get_or_create(&a)
                .inc_by(counts.applied);
            self.changes_failed.get_or_create(&a).inc_by(counts.failed);
        }
        if let Some(scan) = &out.scan {
            self.record_last_scan(scan);
        }
    }

    fn record_last_scan(&self, scan: &ScanRecord) {
        let audit = &scan.audit;
        for family in [&self.resources_scanned, &self.account_scan_success] {
            family.clear();
        }
        for family in [&self.in_scope, &self.non_compliant] {
            family.clear();
        }
        self.findings.clear();
        self.compliance_ratio.clear();
        self.record_waves(&scan.waves);
        for account in &scan.accounts {
            let a = account_label(account);
            let n = scan.resources_by_account.get(account).copied().unwrap_or(0);
            self.resources_scanned.get_or_create(&a).set(n as i64);
            let ok = !audit.errors.iter().any(|e| e.account.covers(account));
            self.account_scan_success
                .get_or_create(&a)
                .set(i64::from(ok));
        }
        let mut per_policy: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for row in &audit.compliance {
            let key = AccountPolicy {
                account: row.account.clone(),
                policy: row.policy.clone(),
            };
            self.in_scope
                .get_or_create(&key)
                .set(row.counts.in_scope as i64);
            self.non_compliant
                .get_or_create(&key)
                .set(row.counts.non_compliant as i64);
            let totals = per_policy.entry(&row.policy).or_default();
            totals.0 += row.counts.compliant;
            totals.1 += row.counts.in_scope;
        }
        for (policy, (compliant, in_scope)) in per_policy {
            if in_scope > 0 {
                self.compliance_ratio
                    .get_or_create(&Policy {
                        policy: policy.to_string(),
                    })
                    .set(compliant as f64 / in_scope as f64);
            }
        }
        for f in &audit.findings {
            let key = Finding {
                account: f.account.clone(),
                policy: f.policy.clone(),
                kind: f.kind.as_str(),
            };
            self.findings.get_or_create(&key).inc();
        }
    }
}

impl Metrics {
    /// Per wave and account: a wave of one name in several regions of an
    /// account is one series.
    fn record_waves(&self, waves: &[WaveRow]) {
        self.wave_servers.clear();
        let mut per: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
        for w in waves {
            let n = per.entry((&w.name, &w.account)).or_default();
            n.0 += w.ready;
            n.1 += w.not_ready;
        }
        for ((wave, account), (ready, not_ready)) in per {
            for (state, n) in [("ready", ready), ("not_ready", not_ready)] {
                let key = WaveServers {
                    wave: wave.to_string(),
                    account: account.to_string(),
                    state,
                };
                self.wave_servers.get_or_create(&key).set(n as i64);
            }
        }
    }
}

fn result(r: &'static str) -> Result_ {
    Result_ { result: r }
}

fn account_label(account: &str) -> Account {
    Account {
        account: account.to_string(),
    }
}

fn add_per_operation(family: &Family<Operation, Counter>, counts: &BTreeMap<String, u64>) {
    for (name, n) in counts {
        family.get_or_create(&Operation::of(name)).inc_by(*n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::outcome::CycleFailure;
    use tagwarden_core::policy::PolicyCounts;
    use tagwarden_core::report::{AuditReport, ComplianceRow, ReportSummary};

    fn output(accounts: &[&str]) -> CycleOutput {
        let row = |account: &str| ComplianceRow {
            policy: "map-migrated".into(),
            account: account.into(),
            account_name: None,
            counts: PolicyCounts {
                in_scope: 4,
                compliant: 1,
                non_compliant: 3,
                unknown: 0,
            },
        };
        let audit = AuditReport {
            run_id: "r".into(),
            generated_at: chrono::DateTime::UNIX_EPOCH,
            summary: ReportSummary {
                counts: Default::default(),
                api_calls: 0,
                accounts: accounts.len(),
                regions: 1,
            },
            errors: Vec::new(),
            compliance: accounts.iter().map(|a| row(a)).collect(),
            findings: Vec::new(),
            api_calls_by_operation: Default::default(),
            warnings: Vec::new(),
            cost_currency: None,
            late_tagged: None,
            scanned: Default::default(),
        };
        CycleOutput {
            result: CycleResult::Ok,
            scan: Some(ScanRecord {
                audit,
                accounts: accounts.iter().map(|a| a.to_string()).collect(),
                every_shard: Vec::new(),
                resources_by_account: Default::default(),
                waves: accounts
                    .iter()
                    .flat_map(|a| {
                        [
                            wave("wave 3", a, "eu-west-1", 4, 1),
                            wave("wave 3", a, "us-east-1", 2, 2),
                            wave("say \"hi\"\n", a, "eu-west-1", 0, 1),
                        ]
                    })
                    .collect(),
            }),
            requests: Requests {
                calls: [("ec2:DescribeInstances".to_string(), 3)].into(),
                throttles: [("ec2:DescribeInstances".to_string(), 1)].into(),
            },
            ..CycleOutput::default()
        }
    }

    fn wave(name: &str, account: &str, region: &str, ready: usize, not_ready: usize) -> WaveRow {
        WaveRow {
            name: name.into(),
            id: "wave-1".into(),
            account: account.into(),
            region: region.into(),
            applications: 1,
            servers: ready + not_ready,
            states: Default::default(),
            ready,
            not_ready,
            out_of_scope: 0,
            launched: 0,
            launched_untagged: 0,
            reasons: Default::default(),
            not_ready_servers: Vec::new(),
        }
    }

    /// The sample names a registered metric shows (counters end in
    /// `_total`, histograms in `_bucket`/`_sum`/`_count`, infos `_info`).
    fn exported(text: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("# TYPE ") else {
                continue;
            };
            let (name, kind) = rest.split_once(' ').unwrap();
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" => &["_bucket", "_sum", "_count"],
                "info" => &["_info"],
                _ => &[""],
            };
            out.extend(suffixes.iter().map(|s| format!("{name}{s}")));
        }
        out
    }

    #[test]
    fn every_metric_the_shipped_alerts_use_is_exported() {
        let m = Metrics::new(Shard::default());
        // A family shows once it has a series: a cycle that failed and
        // wrote, and an event.
        let mut out = output(&["111111111111"]);
        out.failure = Some(CycleFailure::NothingScanned);
        out.changes_by_account = [("111111111111".to_string(), Default::default())].into();
        m.record(&out, 1_800_000_000.0);
        m.events.event(
            "RunInstances",
            tagwarden_core::cloudtrail::EventOutcome::Tagged,
        );
        m.events.removal(
            "map-migrated",
            tagwarden_core::cloudtrail::tool::Tool::Terraform,
            tagwarden_core::cloudtrail::EventOutcome::Restored,
        );
        let names = exported(&m.encode());
        let rules = include_str!("../../../deploy/prometheus/tagwarden-rules.yaml");
        let used: std::collections::BTreeSet<&str> = rules
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("tagwarden_"))
            .collect();
        assert!(used.len() >= 8, "{used:?}");
        for name in used {
            assert!(names.contains(name), "{name} is not exported:\n{names:?}");
        }
    }

    #[test]
    fn a_cycle_sets_the_gauges_and_adds_to_the_counters() {
        let m = Metrics::new(Shard::new(1, 3).unwrap());
        m.record(&output(&["111111111111", "222222222222"]), 1_800_000_000.0);
        m.record(&output(&["111111111111"]), 1_800_000_060.0);
        let text = m.encode();
        for line in [
            "tagwarden_shard_info{shard=\"1\",total_shards=\"3\"} 1",
            "tagwarden_cycles_total{result=\"ok\"} 2",
            "tagwarden_cycles_total{result=\"skipped\"} 0",
            "tagwarden_resources_non_compliant{account=\"111111111111\",policy=\"map-migrated\"} 3",
            "tagwarden_compliance_ratio{policy=\"map-migrated\"} 0.25",
            "tagwarden_aws_requests_total{service=\"ec2\",operation=\"DescribeInstances\"} 6",
            "tagwarden_aws_throttles_total{service=\"ec2\",operation=\"DescribeInstances\"} 2",
            "tagwarden_last_successful_cycle_timestamp_seconds 1800000060.0",
            "tagwarden_account_scan_success{account=\"111111111111\"} 1",
            // A wave's regions in one account add up; a name from MGN is
            // escaped, never markup of the exposition format.
            "tagwarden_wave_servers{wave=\"wave 3\",account=\"111111111111\",state=\"ready\"} 6",
            "tagwarden_wave_servers{wave=\"wave 3\",account=\"111111111111\",state=\"not_ready\"} 3",
            "tagwarden_wave_servers{wave=\"say \\\"hi\\\"\\n\",account=\"111111111111\",state=\"not_ready\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        // The account that went away is gone from the last-cycle gauges.
        assert!(!text.contains("222222222222"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }
}
