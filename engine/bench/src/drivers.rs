//! What the `rein bench` subcommands run, one module each. Each takes an
//! options struct (the binary turns its flags into it), prints its table
//! on stdout and writes the files asked for.

pub mod mask;
pub mod maskbench;
