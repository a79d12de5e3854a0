//! The benchmark's one test: on the quick world, Leitstand's engine, the reference model and Cedar decide every query alike.
//!
//! No timing is asserted.

use crate::cedar::CedarModel;
use crate::world::{generate, Config};
use crate::{build_index, ours, reference, Outcome, SEED};

#[test]
fn engines_agree_on_the_quick_world() {
    let config = Config {
        queries: 2_000,
        ..Config::quick()
    };
    let world = generate(&config, SEED);
    let index = build_index(&world);
    let cedar = CedarModel::build(&world).expect("the quick world fits the Cedar model");
    let mut mix = [0usize; 3];
    for (idx, query) in world.queries.iter().enumerate() {
        let chain = world.chain(query.target);
        assert_eq!(
            world.chain_from_parent_map(&world.scopes[query.target].id),
            chain,
            "chain of query {idx}"
        );
        let decided = ours(&index, &world, query, &chain);
        let request = cedar.request(&world, query).expect("cedar request");
        assert_eq!(
            cedar.decide(&request),
            decided,
            "cedar on query {idx}: {query:?}"
        );
        assert_eq!(cedar.errors(&request), 0, "cedar errors on query {idx}");
        assert_eq!(
            reference::decide(&world, query),
            decided,
            "reference on query {idx}: {query:?}"
        );
        mix[decided as usize] += 1;
    }
    // The query set exercises every outcome.
    assert!(mix.iter().all(|n| *n > 0), "outcomes {mix:?}");
    assert_eq!(
        mix[Outcome::Allowed as usize]
            + mix[Outcome::Denied as usize]
            + mix[Outcome::NotGranted as usize],
        2_000
    );
}
