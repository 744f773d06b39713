//! `wenming`: the command-line entry point of the edge (`wenming up`, `wenming migrate`).

fn main() -> std::process::ExitCode {
    wenming_edge::cli::main()
}
