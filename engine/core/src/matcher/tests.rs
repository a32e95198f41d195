use super::*;
use crate::vocab::TokenKind;

/// A vocabulary of `texts`, then `<eos>` (special, the end of sequence).
pub(crate) fn vocab(texts: &[&str]) -> Arc<Vocabulary> {
    let mut builder = Vocabulary::builder();
    for text in texts {
        builder.push(text.as_bytes().to_vec(), TokenKind::Text);
    }
    let eos = builder.push(b"<eos>".to_vec(), TokenKind::Special);
    builder.eos_token(eos);
    Arc::new(builder.build().unwrap())
}

fn allowed(matcher: &mut Matcher) -> Vec<TokenId> {
    let mut mask = TokenMask::new(matcher.vocabulary().len() + 40);
    matcher.fill_mask(&mut mask).unwrap();
    mask.iter().collect()
}

#[test]
fn mask_commit_rollback_end() {
    let v = vocab(&["a", "b", "ab", "<eos>", "c"]);
    let constraint = Engine::new(v).regex("ab?c").unwrap();
    let mut m = constraint.matcher();
    assert_eq!(
        allowed(&mut m),
        vec![0, 2],
        "a literal <eos> text token stays text"
    );
    m.commit(0).unwrap();
    assert_eq!(allowed(&mut m), vec![1, 4]);
    assert!(!m.can_end());
    m.commit(4).unwrap();
    assert!(m.can_end());
    assert_eq!(allowed(&mut m), vec![5], "only end of sequence");
    m.commit(5).unwrap();
    assert!(m.is_finished());
    assert_eq!(allowed(&mut m), vec![5], "finished: never an empty row");
    m.rollback(2).unwrap();
    assert_eq!(m.committed(), 1);
    assert_eq!(allowed(&mut m), vec![1, 4]);
    assert!(matches!(
        m.rollback(3),
        Err(MatchError::RollbackTooFar {
            requested: 3,
            committed: 1
        })
    ));
}

#[test]
fn refused_tokens_leave_the_state_alone() {
    let v = vocab(&["a", "b"]);
    let mut m = Engine::new(v).regex("ab").unwrap().matcher();
    let error = m.commit(1).unwrap_err();
    assert_eq!(
        error.to_string(),
        "token 1 (\"b\") is not allowed at token index 0"
    );
    assert_eq!(m.committed(), 0);
    assert!(
        matches!(m.commit(2), Err(MatchError::TokenNotAllowed { .. })),
        "eos"
    );
    assert!(matches!(
        m.commit(9),
        Err(MatchError::TokenOutOfRange { .. })
    ));
    m.commit_all(&[0, 1]).unwrap();
    assert!(m.can_end());
}

#[test]
fn a_spent_shared_cache_starts_over_and_masks_stay_exact() {
    let texts = [
        "a", "b", "c", "ab", "bc", "abc", "\"", "\",", ",", "1", "12", "{", "}", ":", " ",
    ];
    let vocabulary = vocab(&texts);
    let eos = vocabulary.eos_tokens()[0];
    let roomy = Engine::new(vocabulary.clone());
    // Room for a few walks only: the cache starts over again and again.
    let tight = Engine::builder()
        .shared_lexeme_cache_bytes(600)
        .build(vocabulary);
    let grammars = [
        r#"root ::= "{" ( /"[a-c]{0,6}"/ ":" /[0-9]{1,3}/ ","? )* "}""#,
        r#"root ::= /[ab]{2,9}/ " " /c+/ | /[0-9]{1,4}/ root?"#,
        r#"root ::= ( "ab" | /a[bc]{0,5}/ | """ /[ac]*/ """ )+"#,
    ];
    for (round, source) in grammars.iter().cycle().take(9).enumerate() {
        let mut expected = roomy.grammar(source).unwrap().matcher();
        let mut actual = tight.grammar(source).unwrap().matcher();
        // A greedy walk: the allowed token `round` places past the
        // smallest, while the output may go on.
        for _ in 0..12 {
            let allowed_now = allowed(&mut expected);
            assert_eq!(allowed(&mut actual), allowed_now, "{source}");
            let texts: Vec<TokenId> = allowed_now.into_iter().filter(|&id| id != eos).collect();
            let Some(&token) = texts.get(round % texts.len().max(1)) else {
                break;
            };
            expected.commit(token).unwrap();
            actual.commit(token).unwrap();
        }
    }
    assert!(
        tight.shared_lexemes().generation() > 0,
        "the budget was spent"
    );
}

#[test]
fn mask_must_cover_the_vocabulary() {
    let v = vocab(&["a", "b"]);
    let mut m = Engine::new(v).regex("a").unwrap().matcher();
    let mut small = TokenMask::new(2);
    assert!(matches!(
        m.fill_mask(&mut small),
        Err(MatchError::MaskTooSmall { .. })
    ));
}

#[test]
fn forced_continuation_keeps_the_boundary_token_open() {
    let v = vocab(&["{", "\"", "{\"", "name", "\":", "x", "\"}"]);
    let c = Engine::new(v).regex(r#"\{"name":x+"\}"#).unwrap();
    let m = c.matcher();
    let forced = m.forced();
    assert_eq!(forced.bytes, br#"{"name":x"#);
    // `{"` `name` `":` then `x` ends at the boundary and is held back.
    assert_eq!(forced.tokens, vec![2, 3, 4]);
    assert!(!forced.then_end);
    let mut m = c.matcher();
    m.commit_all(&[2, 3, 4, 5, 5]).unwrap();
    assert!(m.forced().bytes.is_empty());
    m.commit(1).unwrap();
    let forced = m.forced();
    assert_eq!(forced.bytes, b"}");
    assert!(forced.then_end);
}

#[test]
fn choice_constraint() {
    let v = vocab(&["pos", "itive", "neg", "ative", "p", "n"]);
    let c = Engine::new(v)
        .choice(&["positive", "negative", "pos"])
        .unwrap();
    let mut m = c.matcher();
    assert_eq!(allowed(&mut m), vec![0, 2, 4, 5]);
    m.commit(0).unwrap();
    assert!(m.can_end());
    assert_eq!(allowed(&mut m), vec![1, 6]);
}

#[test]
fn cached_masks_equal_fresh_ones() {
    let v = vocab(&["a", "b", "ab", "ba", "c"]);
    let cached = Engine::new(v).regex("(ab|ba)*c?").unwrap();
    let fresh = cached.clone().with_mask_cache_bytes(0);
    let (mut a, mut b) = (cached.matcher(), fresh.matcher());
    for token in [2, 3, 0, 1, 1, 0, 4] {
        assert_eq!(allowed(&mut a), allowed(&mut b));
        a.commit(token).unwrap();
        b.commit(token).unwrap();
    }
    assert_eq!(allowed(&mut a), allowed(&mut b));
    assert!(
        cached.memory_usage() > fresh.memory_usage(),
        "masks were cached"
    );
}

#[test]
fn is_allowed_agrees_with_commit_on_grammar_special_tokens() {
    let mut builder = Vocabulary::builder();
    let a = builder.push(b"a".to_vec(), TokenKind::Text);
    let eot = builder.push(b"<|eot_id|>".to_vec(), TokenKind::Special);
    builder.eos_token(eot);
    let engine = Engine::new(Arc::new(builder.build().unwrap()));
    let c = engine.grammar("root ::= \"a\" <|eot_id|>").unwrap();
    let mut m = c.matcher();
    assert!(m.is_allowed(a) && !m.is_allowed(eot));
    m.commit(a).unwrap();
    assert!(!m.can_end(), "the grammar still expects <|eot_id|>");
    assert!(m.is_allowed(eot) && !m.is_allowed(a));
    m.commit(eot).unwrap();
    assert!(m.can_end() && !m.is_finished());
    assert!(m.is_allowed(eot), "now it may end");
    m.commit(eot).unwrap();
    assert!(m.is_finished());
    for unknown in ["root ::= <[999]>", "root ::= <[0]>", "root ::= <|pad|>"] {
        let error = engine.grammar(unknown).unwrap_err();
        assert!(
            error.to_string().contains("no special token"),
            "{unknown}: {error}"
        );
        assert_eq!(
            error.kind(),
            crate::grammar::GrammarErrorKind::UnknownToken,
            "{unknown}"
        );
    }
    assert!(engine.grammar("root ::= <[1]>").is_ok());
}

/// Text tokens, then `<|end_think|>`, `<|other|>` (special) and
/// `<|eot_id|>` (special, the stop token).
fn thinking_vocab(texts: &[&str]) -> (Arc<Vocabulary>, [TokenId; 3]) {
    let mut builder = Vocabulary::builder();
    for text in texts {
        builder.push(text.as_bytes().to_vec(), TokenKind::Text);
    }
    let end_think = builder.push(b"<|end_think|>".to_vec(), TokenKind::Special);
    let other = builder.push(b"<|other|>".to_vec(), TokenKind::Special);
    let eot = builder.push(b"<|eot_id|>".to_vec(), TokenKind::Special);
    builder.eos_token(eot);
    (Arc::new(builder.build().unwrap()), [end_think, other, eot])
}

fn id(v: &Vocabulary, text: &str) -> TokenId {
    (0..v.len() as TokenId)
        .find(|&id| v.token_bytes(id) == Some(text.as_bytes()))
        .unwrap()
}

const THINK_TEXTS: &[&str] = &[
    "<think>", "<", "think", ">", "a", "b", "ab", "abx", "c", "!", "answer", "ans", "wer", " ", "x",
];

#[test]
fn negated_token_allows_every_other_token() {
    let (v, [end_think, other, eot]) = thinking_vocab(THINK_TEXTS);
    let engine = Engine::new(v.clone());
    let text_tokens: Vec<TokenId> = (0..THINK_TEXTS.len() as TokenId).collect();
    let c = engine
        .grammar(r#"root ::= "<think>" ( !<|end_think|> )* <|end_think|> "answer""#)
        .unwrap();
    let mut m = c.matcher();
    assert_eq!(allowed(&mut m), vec![id(&v, "<think>"), id(&v, "<")]);
    m.commit(id(&v, "<think>")).unwrap();
    // Every text token, `<|other|>`, and `<|end_think|>` through the
    // positive terminal; never the stop token.
    let mut inside = text_tokens.clone();
    inside.extend([end_think, other]);
    assert_eq!(allowed(&mut m), inside);
    for token in [id(&v, "abx"), other, id(&v, "<think>"), id(&v, " ")] {
        m.commit(token).unwrap();
        assert_eq!(allowed(&mut m), inside, "after {token}");
    }
    assert!(!m.is_allowed(eot) && !m.can_end());
    m.commit(end_think).unwrap();
    assert_eq!(
        allowed(&mut m),
        vec![id(&v, "a"), id(&v, "answer"), id(&v, "ans")]
    );
    assert!(!m.is_allowed(end_think));
    m.commit_all(&[id(&v, "ans"), id(&v, "wer")]).unwrap();
    assert!(m.can_end());
    assert_eq!(allowed(&mut m), vec![eot], "only the end");

    // Where only the negation waits, the excluded token is refused.
    let c = engine.grammar(r#"root ::= !<|end_think|> "x""#).unwrap();
    let mut m = c.matcher();
    let mut first = text_tokens.clone();
    first.push(other);
    assert_eq!(allowed(&mut m), first);
    assert!(!m.is_allowed(end_think) && !m.is_allowed(eot));
    assert!(matches!(
        m.commit(end_think),
        Err(MatchError::TokenNotAllowed { .. })
    ));
    m.commit(other).unwrap();
    assert_eq!(allowed(&mut m), vec![id(&v, "x")]);
}

#[test]
fn negated_token_starts_and_ends_at_token_boundaries() {
    let (v, [_, other, _]) = thinking_vocab(THINK_TEXTS);
    let engine = Engine::new(v.clone());
    let c = engine
        .grammar(r#"root ::= "a" !<|end_think|> "c""#)
        .unwrap();
    let mut m = c.matcher();
    // `ab` would need the negation to start inside the token.
    assert_eq!(allowed(&mut m), vec![id(&v, "a")]);
    assert!(!m.is_allowed(id(&v, "ab")));
    m.commit(id(&v, "a")).unwrap();
    // `abx` is one whole token, so it is one negation, and `c` follows.
    m.commit(id(&v, "abx")).unwrap();
    assert_eq!(allowed(&mut m), vec![id(&v, "c")]);
    m.rollback(1).unwrap();
    m.commit(other).unwrap();
    assert_eq!(allowed(&mut m), vec![id(&v, "c")]);
    m.commit(id(&v, "c")).unwrap();
    assert!(m.can_end());
}

#[test]
fn negation_by_id_may_exclude_a_text_token() {
    let (v, [end_think, other, eot]) = thinking_vocab(THINK_TEXTS);
    let engine = Engine::new(v.clone());
    let a = id(&v, "a");
    let c = engine.grammar(&format!("root ::= !<[{a}]>")).unwrap();
    let mut m = c.matcher();
    let expected: Vec<TokenId> = (0..v.len() as TokenId)
        .filter(|&t| t != a && t != eot)
        .collect();
    assert_eq!(allowed(&mut m), expected);
    assert!(expected.contains(&end_think) && expected.contains(&other));
    // The byte path allows it back.
    let c = engine
        .grammar(&format!("root ::= !<[{a}]> | \"a\""))
        .unwrap();
    let mut m = c.matcher();
    assert!(m.is_allowed(a));
    assert_eq!(allowed(&mut m).len(), expected.len() + 1);
    // Two negations admit what either admits.
    let c = engine
        .grammar(r#"root ::= ( !<|end_think|> | !<|other|> ) "x""#)
        .unwrap();
    let mut m = c.matcher();
    assert!(m.is_allowed(end_think) && m.is_allowed(other) && !m.is_allowed(eot));
    let all_but_stop: Vec<TokenId> = (0..v.len() as TokenId).filter(|&t| t != eot).collect();
    assert_eq!(allowed(&mut m), all_but_stop);
    let c = engine
        .grammar(r#"root ::= ( !<|end_think|> | !<|end_think|> "c" ) "x""#)
        .unwrap();
    let mut m = c.matcher();
    assert!(!m.is_allowed(end_think));
    let all_but_two: Vec<TokenId> = (0..v.len() as TokenId)
        .filter(|&t| t != eot && t != end_think)
        .collect();
    assert_eq!(allowed(&mut m), all_but_two);
}

#[test]
fn negated_token_merges_with_the_byte_path() {
    let (v, [end_think, ..]) = thinking_vocab(THINK_TEXTS);
    let engine = Engine::new(v.clone());
    let c = engine
        .grammar(r#"root ::= "ab" "c" | !<|end_think|> "!""#)
        .unwrap();
    let mut m = c.matcher();
    m.commit(id(&v, "ab")).unwrap();
    // `ab` is both the literal's bytes and one negated token.
    assert_eq!(allowed(&mut m), vec![id(&v, "c"), id(&v, "!")]);
    let mut fork = m.clone();
    fork.commit(id(&v, "c")).unwrap();
    assert!(fork.can_end());
    m.commit(id(&v, "!")).unwrap();
    assert!(m.can_end());
    // The byte path dies inside `abx` (at `x`); the negation carries it.
    let mut m = c.matcher();
    m.commit(id(&v, "abx")).unwrap();
    assert_eq!(allowed(&mut m), vec![id(&v, "!")]);
    assert!(!m.is_allowed(end_think));
}

#[test]
fn commit_and_rollback_across_negated_tokens_restore_masks() {
    let (v, [end_think, other, _]) = thinking_vocab(THINK_TEXTS);
    let engine = Engine::new(v.clone());
    let source = r#"root ::= ( "ab" "c" | !<|end_think|> "!" | "<think>" ( !<|end_think|> )* <|end_think|> )+"#;
    let cached = engine.grammar(source).unwrap();
    let fresh = cached.clone().with_mask_cache_bytes(0);
    let tokens = [
        id(&v, "abx"),
        id(&v, "!"),
        id(&v, "ab"),
        id(&v, "c"),
        id(&v, "<think>"),
        id(&v, "abx"),
        other,
        id(&v, "ab"),
        end_think,
        id(&v, "ab"),
        id(&v, "!"),
    ];
    let mut m = cached.matcher();
    let mut masks = vec![allowed(&mut m)];
    for &token in &tokens {
        m.commit(token).unwrap();
        let mask = allowed(&mut m);
        let mut replay = fresh.matcher();
        replay.commit_all(&tokens[..masks.len()]).unwrap();
        assert_eq!(mask, allowed(&mut replay), "cached vs fresh after {token}");
        masks.push(mask);
    }
    for back in [1, 3, 2, 4, 1] {
        m.rollback(back).unwrap();
        assert_eq!(allowed(&mut m), masks[m.committed()], "back {back}");
        let count = m.committed();
        m.commit_all(&tokens[count..count + back]).unwrap();
        assert_eq!(allowed(&mut m), masks[m.committed()]);
    }
    m.reset();
    assert_eq!(allowed(&mut m), masks[0]);
}

#[test]
fn forced_continuation_stops_before_a_negation() {
    let (v, _) = thinking_vocab(THINK_TEXTS);
    let engine = Engine::new(v.clone());
    let c = engine
        .grammar(r#"root ::= "<think>" !<|end_think|>* "x""#)
        .unwrap();
    let mut m = c.matcher();
    let forced = m.forced();
    assert_eq!(forced.bytes, b"<think>");
    assert!(!forced.then_end);
    m.commit(id(&v, "<think>")).unwrap();
    assert!(m.forced().bytes.is_empty());
    assert_eq!(m.shortest_completion(), Some(b"x".to_vec()));
    let c = engine.grammar(r#"root ::= "ab" !<[0]>"#).unwrap();
    let mut m = c.matcher();
    m.commit(id(&v, "ab")).unwrap();
    let forced = m.forced();
    assert!(forced.bytes.is_empty() && !forced.then_end);
    assert_eq!(
        m.shortest_completion(),
        None,
        "a whole token is no byte string"
    );
    assert_eq!(m.completion_tokens(), None);
}

#[test]
fn negations_name_tokens_the_vocabulary_has() {
    let (v, _) = thinking_vocab(THINK_TEXTS);
    let engine = Engine::new(v.clone());
    let cases = [
        ("root ::= !<|pad|>", "!<|pad|>"),
        ("root ::= !<[999]>", "!<[999]>"),
    ];
    for (source, name) in cases {
        let error = engine.grammar(source).unwrap_err().to_string();
        assert!(error.contains(name), "{source}: {error}");
    }
    let error = engine
        .grammar("root ::= \"a\" !\"b\"")
        .unwrap_err()
        .to_string();
    assert!(error.starts_with("1:14: `!` must be followed"), "{error}");
    assert!(engine
        .grammar("root ::= !<|other|> !<[0]> !<|eot_id|>")
        .is_ok());
}

#[test]
fn constraints_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Constraint>();
    check::<Matcher>();
}
