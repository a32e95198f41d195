//! Times every mask of one MaskBench file and prints the slow ones with the
//! text before them: `mask_profile TOKENIZER FILE [THRESHOLD_US]`.
//! `NO_CACHE=1` turns the mask caches off, so every mask is a full walk;
//! `ANY_ORDER=N` compiles as `maskbench_quick` does. A refused valid
//! instance prints the refused token and the text before it.

use std::time::Instant;

use rein_bench::maskbench::BenchFile;
use rein_core::TokenMask;
use rein_schema::{compile, Options};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let tokenizer = rein_tokenizer::Tokenizer::from_path(&args[1])?;
    let engine = rein_core::Engine::new(tokenizer.vocabulary().clone());
    let vocabulary = engine.vocabulary();
    let threshold: f64 = args
        .get(3)
        .map(|t| t.parse())
        .transpose()?
        .unwrap_or(1000.0);
    let file = BenchFile::parse(&std::fs::read_to_string(&args[2])?)?;
    let options = match std::env::var("ANY_ORDER") {
        Ok(cap) => Options {
            property_order: rein_schema::PropertyOrder::Any {
                max_properties: cap.parse()?,
            },
            ..Options::default()
        },
        Err(_) => Options::default(),
    };
    let mut constraint = compile(&file.schema, &options)?.constraint(&engine)?;
    if std::env::var_os("NO_CACHE").is_some() {
        constraint = constraint.with_mask_cache_bytes(0);
    }
    let mut mask = TokenMask::new(vocabulary.len());
    let mut times = Vec::new();
    for (valid, instance) in &file.tests {
        if !valid {
            continue;
        }
        let text = rein_schema::python_dumps(instance);
        let tokens = tokenizer.encode(&text)?;
        let mut matcher = constraint.matcher();
        let mut prefix = Vec::new();
        for &token in &tokens {
            let before = Instant::now();
            matcher.fill_mask(&mut mask)?;
            let us = before.elapsed().as_secs_f64() * 1e6;
            times.push(us);
            if us > threshold {
                let tail = String::from_utf8_lossy(&prefix[prefix.len().saturating_sub(60)..])
                    .into_owned();
                println!("{us:8.0} µs  allowed {:6}  …{tail:?}", mask.count());
            }
            if !mask.contains(token) || matcher.commit(token).is_err() {
                let tail = String::from_utf8_lossy(&prefix[prefix.len().saturating_sub(80)..])
                    .into_owned();
                let refused =
                    String::from_utf8_lossy(vocabulary.token_bytes(token).unwrap_or_default())
                        .into_owned();
                println!("refused {refused:?} after …{tail:?}");
                break;
            }
            prefix.extend_from_slice(vocabulary.token_bytes(token).unwrap_or_default());
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    if !times.is_empty() {
        println!(
            "masks {}  total {:.1} ms  p50 {:.0} µs  p99 {:.0} µs  max {:.0} µs  over threshold {}",
            times.len(),
            times.iter().sum::<f64>() / 1e3,
            at(0.5),
            at(0.99),
            at(1.0),
            times.iter().filter(|&&t| t > threshold).count()
        );
    }
    Ok(())
}
