fn main() {
    std::process::exit(flux_scaffold::cli::main());
}
