//! The `problemfirst` binary: a thin shell over the library.

fn main() -> std::process::ExitCode {
    problemfirst::heap::limit_arenas();
    problemfirst::cli::main()
}
