//! The `burnkey` command: a thin layer over the library (`burnkey::cli`).

fn main() -> std::process::ExitCode {
    burnkey::cli::main()
}
