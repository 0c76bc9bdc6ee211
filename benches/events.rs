//! Tag on create against the emulator: for bursts of 1, 100 and 1,000
//! creation events (RunInstances, one instance each, in a member account),
//! the time from putting each event on the queue to its instance carrying
//! `map-migrated` (p50 and p99, seen by polling DescribeTags every 50 ms),
//! and the AWS requests tagwarden made per event. The daemon, the emulator
//! and this process share the machine.
//!
//!     cargo bench --bench events

#[path = "../tests/it/common/mod.rs"]
#[allow(dead_code)]
mod common;

use common::estate::{self, Seeder, STAGING};
use common::events::{fixture_with, run_instances, runtime};
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    for n in [1, 100, 1000] {
        burst(n);
    }
}

fn requests(d: &common::daemon::Daemon) -> f64 {
    d.metrics()
        .lines()
        .filter(|l| l.starts_with("tagwarden_aws_requests_total{"))
        .filter(|l| !l.contains("operation=\"ReceiveMessage\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn burst(n: usize) {
    let f = fixture_with(3, "limits: {max_changes_per_run: 5000}\n");
    let endpoint = f.emu.endpoint();
    let rt = runtime();
    let (ec2, instances) = rt.block_on(async {
        let seeder = Seeder::new(&endpoint).await;
        let ec2 = Seeder::ec2(&seeder.account(STAGING.0).await, "us-east-1");
        let mut ids = Vec::new();
        while ids.len() < n {
            let k = (n - ids.len()).min(250) as i32;
            ids.extend(
                estate::launch(&ec2, k, &[], &[])
                    .await
                    .into_iter()
                    .map(|(i, _)| i),
            );
        }
        (ec2, ids)
    });
    let before = requests(&f.daemon);
    let bodies: Vec<String> = instances
        .iter()
        .enumerate()
        .map(|(i, id)| {
            run_instances(
                &format!("b{n}-{i}"),
                STAGING.0,
                "us-east-1",
                std::slice::from_ref(id),
            )
        })
        .collect();
    // Each batch of ten is stamped when it is sent.
    let stamps = f.send_stamped(bodies);
    let sent: HashMap<String, Instant> = instances
        .chunks(10)
        .zip(stamps)
        .flat_map(|(ids, at)| ids.iter().map(move |id| (id.clone(), at)))
        .collect();
    let mut seen: HashMap<String, Instant> = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while seen.len() < n && Instant::now() < deadline {
        let tagged = rt.block_on(tagged_instances(&ec2));
        let now = Instant::now();
        for id in tagged {
            seen.entry(id).or_insert(now);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(seen.len(), n, "every instance tagged within 5 minutes");
    if std::env::var_os("TAGWARDEN_BENCH_LOG").is_some() {
        for l in f
            .daemon
            .log_text()
            .lines()
            .filter(|l| l.contains("burst handled"))
        {
            println!("        {l}");
        }
    }
    let mut latency: Vec<f64> = seen
        .iter()
        .map(|(id, at)| at.duration_since(sent[id]).as_secs_f64())
        .collect();
    latency.sort_by(f64::total_cmp);
    let pct =
        |p: f64| latency[((latency.len() as f64 * p).ceil() as usize).clamp(1, latency.len()) - 1];
    // Let the burst's last requests (deletes) be counted.
    std::thread::sleep(Duration::from_secs(2));
    let calls = requests(&f.daemon) - before;
    println!(
        "{n:>5} event(s): event-to-tagged p50 {:.2} s, p99 {:.2} s; {calls:.0} AWS requests besides receives = {:.2} per event",
        pct(0.50),
        pct(0.99),
        calls / n as f64
    );
}

/// Instances carrying `map-migrated` now.
async fn tagged_instances(ec2: &aws_sdk_ec2::Client) -> Vec<String> {
    let filter = aws_sdk_ec2::types::Filter::builder()
        .name("key")
        .values("map-migrated")
        .build();
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = ec2
            .describe_tags()
            .filters(filter.clone())
            .set_next_token(token)
            .send()
            .await
            .unwrap();
        out.extend(
            page.tags()
                .iter()
                .filter_map(|t| t.resource_id().map(str::to_string)),
        );
        token = page.next_token().map(str::to_string);
        if token.is_none() {
            return out;
        }
    }
}
