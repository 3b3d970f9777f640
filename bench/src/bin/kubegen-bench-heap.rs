//! `kubegen-bench-heap`: the same command line as `kubegen-bench`, with the counting allocator,
//! for the heap workload (`kubegen-bench-heap heap`).

#[global_allocator]
static ALLOCATOR: kubegen_bench::alloc::Counting = kubegen_bench::alloc::Counting;

fn main() -> anyhow::Result<()> {
    kubegen_bench::cli::main()
}
