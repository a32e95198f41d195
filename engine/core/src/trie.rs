//! A token trie laid out for a flat, non-recursive walk.
//!
//! Computing a mask means asking, for every text token, "does the automaton
//! survive this token's bytes?". Tokens share prefixes heavily (`" the"`,
//! `" then"`, `" there"`), so the trie lets one automaton step serve every
//! token below a node, and a dead step skips the whole subtree at once.
//!
//! Nodes are stored in preorder. Each node records its depth and the index
//! one past its subtree, so the walk is a single loop over an array with a
//! small stack of automaton states indexed by depth: no recursion, no
//! pointer chasing, and skipping a subtree is one assignment. The trade-off
//! is that the trie is immutable once built, which suits a vocabulary.

use crate::vocab::TokenId;

/// One trie node: the byte on the edge into it and where its subtree ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Node {
    /// Index one past the last node of this node's subtree.
    subtree_end: u32,
    /// Index into `TokenTrie::node_tokens` of this node's first token; the
    /// next node's `token_start` ends the range.
    token_start: u32,
    /// Distance from the root (the root has depth 0).
    depth: u16,
    /// The byte on the edge from the parent.
    byte: u8,
}

/// A trie over token bytes in preorder; see the module docs.
#[derive(Clone, Debug, Default)]
pub struct TokenTrie {
    nodes: Vec<Node>,
    /// Token ids grouped by node, in node order (several ids may share bytes).
    node_tokens: Vec<TokenId>,
    max_depth: usize,
}

impl TokenTrie {
    /// Builds a trie over `(id, bytes)` pairs. Empty byte strings are ignored.
    pub fn new<'a>(tokens: impl IntoIterator<Item = (TokenId, &'a [u8])>) -> TokenTrie {
        let mut sorted: Vec<(TokenId, &[u8])> = tokens
            .into_iter()
            .filter(|(_, bytes)| !bytes.is_empty())
            .collect();
        sorted.sort_unstable_by(|a, b| a.1.cmp(b.1).then(a.0.cmp(&b.0)));

        let root = Node {
            subtree_end: 0,
            token_start: 0,
            depth: 0,
            byte: 0,
        };
        let mut nodes = vec![root];
        let mut node_tokens = Vec::with_capacity(sorted.len());
        // `open[d]` is the index of the open node at depth `d` on the path
        // to the previous token.
        let mut open: Vec<usize> = vec![0];
        let mut previous: &[u8] = &[];
        let mut max_depth = 0;
        for (id, bytes) in sorted {
            let common = previous
                .iter()
                .zip(bytes)
                .take_while(|(a, b)| a == b)
                .count();
            while open.len() > common + 1 {
                let closed = open.pop().unwrap_or_default();
                nodes[closed].subtree_end = nodes.len() as u32;
            }
            for (offset, &byte) in bytes[common..].iter().enumerate() {
                open.push(nodes.len());
                nodes.push(Node {
                    subtree_end: 0,
                    token_start: node_tokens.len() as u32,
                    depth: (common + offset + 1) as u16,
                    byte,
                });
            }
            // The token's node is the deepest open one, and it is the most
            // recently created node, so its token range stays contiguous.
            node_tokens.push(id);
            max_depth = max_depth.max(bytes.len());
            previous = bytes;
        }
        while let Some(closed) = open.pop() {
            nodes[closed].subtree_end = nodes.len() as u32;
        }
        // A sentinel closes the last node's token range.
        nodes.push(Node {
            subtree_end: nodes.len() as u32 + 1,
            token_start: node_tokens.len() as u32,
            depth: 0,
            byte: 0,
        });
        TokenTrie {
            nodes,
            node_tokens,
            max_depth,
        }
    }

    /// The number of nodes, the root included.
    pub fn node_count(&self) -> usize {
        self.nodes.len().saturating_sub(1)
    }

    /// The number of bytes of the longest token.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Bytes of heap memory held by the trie.
    pub fn memory_usage(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.node_tokens.capacity() * std::mem::size_of::<TokenId>()
    }

    /// Walks every token whose bytes keep `step` alive.
    ///
    /// Starting from `start`, each byte on a path is fed to `step`; `None`
    /// means the automaton died and the whole subtree is skipped. For every
    /// node reached alive that ends one or more tokens, `on_tokens` gets
    /// those ids and the state after the token's last byte.
    pub fn walk<S: Copy>(
        &self,
        start: S,
        step: impl FnMut(S, u8) -> Option<S>,
        mut on_tokens: impl FnMut(&[TokenId], S),
    ) {
        self.walk_below(TokenTrie::ROOT, start, step, |_, tokens, state| {
            if !tokens.is_empty() {
                on_tokens(tokens, state);
            }
        });
    }

    /// Walks the subtree below `from` the way [`TokenTrie::walk`] walks the
    /// whole trie, starting in state `start` at `from`; `on_node` gets every
    /// node reached alive, the ids of the tokens ending there (possibly
    /// none) and the state there.
    pub fn walk_below<S: Copy>(
        &self,
        from: usize,
        start: S,
        step: impl FnMut(S, u8) -> Option<S>,
        on_node: impl FnMut(usize, &[TokenId], S),
    ) {
        self.walk_below_with(from, start, &mut Vec::new(), step, on_node)
    }

    /// [`TokenTrie::walk_below`] with the caller's stack of states, for
    /// callers that walk below many nodes (every lexeme boundary) and
    /// should not allocate for each.
    pub fn walk_below_with<S: Copy>(
        &self,
        from: usize,
        start: S,
        states: &mut Vec<S>,
        mut step: impl FnMut(S, u8) -> Option<S>,
        mut on_node: impl FnMut(usize, &[TokenId], S),
    ) {
        let base_depth = self.nodes[from].depth as usize;
        // `states[d]`: the state on the path from `from` at relative depth
        // `d`. A node is reached right after its parent wrote its entry, so
        // entries left from another walk are never read; the vector only
        // grows, once, to the deepest path.
        let height = self.max_depth.saturating_sub(base_depth) + 1;
        if states.len() < height {
            states.resize(height, start);
        }
        states[0] = start;
        let end = self.nodes[from].subtree_end as usize;
        let mut index = from + 1;
        while index < end {
            let node = self.nodes[index];
            let depth = node.depth as usize - base_depth;
            match step(states[depth - 1], node.byte) {
                None => index = node.subtree_end as usize,
                Some(state) => {
                    states[depth] = state;
                    let first = node.token_start as usize;
                    let last = self.nodes[index + 1].token_start as usize;
                    on_node(index, &self.node_tokens[first..last], state);
                    index += 1;
                }
            }
        }
    }

    /// The root node, whose subtree is the whole trie.
    pub const ROOT: usize = 0;

    /// The nodes strictly below `node`, in preorder. A node's children come
    /// right after it; [`TokenTrie::skip`] jumps over a node's subtree.
    pub fn below(&self, node: usize) -> std::ops::Range<usize> {
        node + 1..self.nodes[node].subtree_end as usize
    }

    /// The first node after `node`'s subtree.
    #[inline]
    pub fn skip(&self, node: usize) -> usize {
        self.nodes[node].subtree_end as usize
    }

    /// Whether `node` has no children.
    #[inline]
    pub fn is_leaf(&self, node: usize) -> bool {
        self.nodes[node].subtree_end as usize == node + 1
    }

    /// The byte on the edge into `node`.
    #[inline]
    pub fn byte(&self, node: usize) -> u8 {
        self.nodes[node].byte
    }

    /// The number of bytes from the root to `node`.
    #[inline]
    pub fn depth(&self, node: usize) -> usize {
        self.nodes[node].depth as usize
    }

    /// The ids of the tokens whose bytes end at `node`.
    #[inline]
    pub fn tokens(&self, node: usize) -> &[TokenId] {
        let first = self.nodes[node].token_start as usize;
        let last = self.nodes[node + 1].token_start as usize;
        &self.node_tokens[first..last]
    }

    /// The ids of the tokens whose bytes end at `node` or below it: node
    /// tokens are stored in preorder, so a subtree's are contiguous.
    #[inline]
    pub fn subtree_tokens(&self, node: usize) -> &[TokenId] {
        let first = self.nodes[node].token_start as usize;
        let last = self.nodes[self.skip(node)].token_start as usize;
        &self.node_tokens[first..last]
    }

    /// The root's children, each the first node of the tokens that start
    /// with its byte.
    pub fn first_byte_nodes(&self) -> impl Iterator<Item = usize> + '_ {
        let end = self.skip(TokenTrie::ROOT);
        std::iter::successors(Some(TokenTrie::ROOT + 1), move |&node| {
            Some(self.skip(node))
        })
        .take_while(move |&node| node < end)
    }

    /// The longest token whose bytes are a prefix of `bytes`, with its length.
    ///
    /// When several ids share those bytes, the smallest id is returned.
    pub fn longest_prefix(&self, bytes: &[u8]) -> Option<(TokenId, usize)> {
        let mut best = None;
        let mut index = 1;
        let end = self.node_count();
        let mut depth = 0;
        // Children of a node are contiguous in preorder: scan siblings by
        // jumping over subtrees until the byte matches.
        let mut limit = end;
        while depth < bytes.len() && index < limit {
            let node = self.nodes[index];
            if node.byte == bytes[depth] {
                depth += 1;
                let first = node.token_start as usize;
                let last = self.nodes[index + 1].token_start as usize;
                if first != last {
                    best = Some((self.node_tokens[first], depth));
                }
                limit = node.subtree_end as usize;
                index += 1;
            } else {
                index = node.subtree_end as usize;
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trie(tokens: &[&str]) -> TokenTrie {
        TokenTrie::new(
            tokens
                .iter()
                .enumerate()
                .map(|(id, t)| (id as TokenId, t.as_bytes())),
        )
    }

    // `walk` needs `S: Copy`, so states index into a list of byte paths.
    fn reachable_prefixes(tokens: &[&str], allowed_prefixes: &[&str]) -> Vec<TokenId> {
        let trie = trie(tokens);
        let mut found = Vec::new();
        let mut paths: Vec<Vec<u8>> = vec![Vec::new()];
        trie.walk(
            0usize,
            |state, byte| {
                let mut next = paths[state].clone();
                next.push(byte);
                let ok = allowed_prefixes
                    .iter()
                    .any(|p| p.as_bytes().starts_with(&next));
                ok.then(|| {
                    paths.push(next);
                    paths.len() - 1
                })
            },
            |ids, _| found.extend_from_slice(ids),
        );
        found.sort();
        found
    }

    #[test]
    fn walk_visits_exactly_the_live_tokens() {
        let tokens = ["a", "ab", "abc", "b", "ba", "ab", "c"];
        assert_eq!(reachable_prefixes(&tokens, &["abc"]), vec![0, 1, 2, 5]);
        assert_eq!(reachable_prefixes(&tokens, &["ba", "c"]), vec![3, 4, 6]);
        assert_eq!(reachable_prefixes(&tokens, &["x"]), Vec::<TokenId>::new());
    }

    #[test]
    fn longest_prefix_prefers_longer_tokens() {
        let t = trie(&["a", "ab", "abc", "b", "bd"]);
        assert_eq!(t.longest_prefix(b"abd"), Some((1, 2)));
        assert_eq!(t.longest_prefix(b"abcd"), Some((2, 3)));
        assert_eq!(t.longest_prefix(b"bd"), Some((4, 2)));
        assert_eq!(t.longest_prefix(b"c"), None);
        assert_eq!(t.longest_prefix(b""), None);
    }

    #[test]
    fn empty_tokens_are_ignored() {
        let t = trie(&["", "x"]);
        assert_eq!(t.node_count(), 2);
        assert_eq!(t.max_depth(), 1);
    }
}
