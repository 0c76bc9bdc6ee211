//! Seeds the demo estate into the emulator at `AWS_ENDPOINT_URL` (used by
//! scripts/demo.sh). The estate is the one the integration tests audit.

#[path = "../tests/it/common/estate.rs"]
mod estate;

#[tokio::main]
async fn main() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL names the emulator");
    let seeded = estate::seed(&endpoint, "demo").await;
    println!(
        "Seeded {} resources into the emulator at {endpoint}:",
        seeded.len()
    );
    for s in &seeded {
        println!(
            "  {:<13} {:<10} {:<13} {}",
            estate::name_of(&s.account),
            s.region,
            s.resource_type,
            s.label
        );
    }
}
