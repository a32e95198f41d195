//! The member-list states one chart has met, interned: an Earley item
//! carries its list's state as an index into this table (see
//! [`members`](crate::grammar::cfg) for what a state is and how it steps).

use foldhash::{HashMap, HashMapExt};

use crate::grammar::cfg::{Cfg, MemberState};

/// The list states met by one chart, by index: an Earley item carries the
/// index of its list's state (0, the empty state, for every other item).
/// Indexes are never reused, so rolling the chart back needs nothing here.
#[derive(Clone, Debug)]
pub struct MemberStates {
    states: Vec<MemberState>,
    ids: HashMap<MemberState, u32>,
    /// The state a production's step leads to from a state: by (state,
    /// production); `None` when the step is not allowed there.
    steps: HashMap<(u32, u32), Option<u32>>,
}

impl Default for MemberStates {
    fn default() -> MemberStates {
        let mut ids = HashMap::new();
        ids.insert(MemberState::default(), 0);
        MemberStates {
            states: vec![MemberState::default()],
            ids,
            steps: HashMap::new(),
        }
    }
}

impl MemberStates {
    /// The state with index `id` (the empty state for an unknown index).
    pub fn state(&self, id: u32) -> &MemberState {
        self.states.get(id as usize).unwrap_or(&self.states[0])
    }

    /// The index of the state a list's `production` leads to from state
    /// `id` (by the step its guard names), or `None` when it may not be
    /// taken there or is no list's production.
    pub fn after(&mut self, cfg: &Cfg, id: u32, production: u32) -> Option<u32> {
        if let Some(&known) = self.steps.get(&(id, production)) {
            return known;
        }
        let guard = cfg.productions[production as usize].guard?;
        let next = cfg.families[guard.family as usize]
            .after(self.state(id), guard.step)
            .map(|state| self.intern(state));
        self.steps.insert((id, production), next);
        next
    }

    /// Like [`MemberStates::after`], without recording anything: `None`
    /// also when the step was never taken in this chart.
    pub fn known_after(&self, id: u32, production: u32) -> Option<u32> {
        self.steps.get(&(id, production)).copied().flatten()
    }

    fn intern(&mut self, state: MemberState) -> u32 {
        if let Some(&id) = self.ids.get(&state) {
            return id;
        }
        let id = self.states.len() as u32;
        self.states.push(state.clone());
        self.ids.insert(state, id);
        id
    }
}
