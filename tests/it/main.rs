//! The integration tests, one binary (one link of the AWS SDK, one build of
//! the harness): each module an area, run against a local AWS emulator
//! (`common` starts moto and seeds it) and the real `tagwarden` binary.

mod common;

mod audit;
mod cli;
mod clobber;
mod costs;
mod credits;
mod credits_export;
mod daemon;
mod deliveries;
mod deploy;
mod doctor;
mod enforce;
mod events;
mod explorer;
mod hostile;
mod iam;
mod pages;
mod report;
mod restore;
mod schemes;
mod shards;
mod soak;
mod store;
mod waves;
mod waves_faults;
mod workloads;
mod writers;
