//! `kubegen-bench`: every workload but the heap one, with the system allocator.

fn main() -> anyhow::Result<()> {
    kubegen_bench::cli::main()
}
