//! Criterion benchmarks of the backends (filled in below).
fn main() {}
