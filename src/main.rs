//! The `problemfirst` binary: a thin shell over the library.

fn main() -> std::process::ExitCode {
    problemfirst::cli::main()
}
