//! Shard balance: how evenly `Shard::owns` (account id modulo the number of
//! shards) splits 1,000 account ids over 3, 5 and 8 replicas. Two sets of
//! ids: uniformly random 12-digit ids (as AWS assigns them), and a worst
//! case of consecutive ids.
//!
//!     cargo bench -p tagwarden-core --bench shards

use tagwarden_core::shard::Shard;

const ACCOUNTS: u64 = 1_000;

/// A fixed-seed xorshift generator: the same ids on every run.
fn random_ids() -> Vec<String> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..ACCOUNTS)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            format!("{:012}", x % 1_000_000_000_000)
        })
        .collect()
}

fn consecutive_ids() -> Vec<String> {
    (0..ACCOUNTS)
        .map(|n| format!("{:012}", 111_111_111_111 + n))
        .collect()
}

fn report(name: &str, ids: &[String]) {
    for total in [3u32, 5, 8] {
        let counts: Vec<usize> = (0..total)
            .map(|i| {
                let shard = Shard::new(i, total).expect("a valid shard");
                ids.iter().filter(|id| shard.owns(id)).count()
            })
            .collect();
        assert_eq!(
            counts.iter().sum::<usize>(),
            ids.len(),
            "every id owned once"
        );
        let ideal = ids.len() as f64 / f64::from(total);
        let (min, max) = (*counts.iter().min().unwrap(), *counts.iter().max().unwrap());
        let worst = counts
            .iter()
            .map(|&c| (c as f64 - ideal).abs() / ideal * 100.0)
            .fold(0.0, f64::max);
        println!(
            "{name:>11} ids over {total} shards: {counts:?}  min {min}, max {max}, ideal {ideal:.1}, worst deviation {worst:.1} %"
        );
    }
}

fn main() {
    report("random", &random_ids());
    report("consecutive", &consecutive_ids());
}
