//! Seeds N never-tagged EC2 instances (each with its root volume, so 2N
//! resources) into the emulator at `AWS_ENDPOINT_URL`, in reservations of up
//! to 500, for scripts/bench-audit.sh.

#[path = "../tests/it/common/estate.rs"]
mod estate;

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL names the emulator");
    let n: i32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .expect("usage: seed_bulk N");
    let seeder = estate::Seeder::new(&endpoint).await;
    let ec2 = estate::Seeder::ec2(seeder.base(), "us-east-1");
    let mut left = n;
    while left > 0 {
        let batch = left.min(500);
        estate::launch_only(&ec2, batch).await;
        left -= batch;
    }
    println!("seeded {n} instances and {n} root volumes");
}
