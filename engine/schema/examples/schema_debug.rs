//! Compiles a schema file and walks a document through it, byte by byte:
//! `schema_debug TOKENIZER SCHEMA.json DOCUMENT` (`ANY_ORDER=1`: members in
//! any order).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let tokenizer = rein_tokenizer::Tokenizer::from_path(&args[1])?;
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&args[2])?)?;
    let options = rein_schema::Options {
        property_order: rein_schema::PropertyOrder::any_when(
            std::env::var_os("ANY_ORDER").is_some(),
        ),
        ..rein_schema::Options::default()
    };
    let compiled = rein_schema::compile(&schema, &options)?;
    for (index, rule) in compiled.grammar().rules().iter().enumerate() {
        println!("{index} {}: {:?}", rule.name, rule.body);
    }
    let engine = rein_core::Engine::new(tokenizer.vocabulary().clone());
    let constraint = compiled.constraint(&engine)?;
    let mut matcher = constraint.matcher();
    for token in tokenizer.encode(&args[3])? {
        let result = matcher.commit(token);
        println!(
            "{:?} {:?}",
            tokenizer.vocabulary().display_token(token),
            result
        );
        if result.is_err() {
            break;
        }
    }
    println!("can end: {}", matcher.can_end());
    Ok(())
}
