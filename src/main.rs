//! The `moddesk` command: parses the command line and hands over to the library.

use clap::Parser;

/// mimalloc instead of the system allocator: the ingest path allocates a few small buffers per
/// delivery on several threads, which glibc's allocator serves markedly slower under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    moddesk::cli::run(moddesk::cli::Cli::parse())
}
