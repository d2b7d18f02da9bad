//! The `problemfirst` binary: a thin shell over the library.

#[global_allocator]
static ALLOCATOR: problemfirst::heap::Allocator = problemfirst::heap::Allocator {};

fn main() -> std::process::ExitCode {
    problemfirst::cli::main()
}
