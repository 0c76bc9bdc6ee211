//! Seeds N accounts (ids 100000000000, 100000000001, …) into the emulator at
//! `AWS_ENDPOINT_URL`, each with one never-tagged instance (and its root
//! volume) and one bucket, for scripts/bench-accounts.sh.

#[path = "../tests/it/common/estate.rs"]
mod estate;

use futures::stream::{self, StreamExt};

pub const FIRST_ACCOUNT: u64 = 100_000_000_000;

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL names the emulator");
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .expect("usage: seed_accounts N");
    let seeder = &estate::Seeder::new(&endpoint).await;
    stream::iter(0..n)
        .for_each_concurrent(16, |i| async move {
            let account = (FIRST_ACCOUNT + i).to_string();
            let config = seeder.account(&account).await;
            estate::launch_only(&estate::Seeder::ec2(&config, "us-east-1"), 1).await;
            let s3 = estate::Seeder::s3(&config, "us-east-1");
            estate::bucket(&s3, &format!("bench-{account}"), "us-east-1", &[]).await;
        })
        .await;
    println!("seeded {n} accounts, each with one instance, its root volume and one bucket");
}
