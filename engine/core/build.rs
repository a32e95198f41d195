//! Generates the GBNF parser from `src/grammar/gbnf/parser.lalrpop`.
fn main() {
    lalrpop::Configuration::new()
        .use_cargo_dir_conventions()
        .emit_rerun_directives(true)
        .process()
        .expect("the lalrpop grammar compiles");
}
