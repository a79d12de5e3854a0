//! The access engine: every role assignment, deny assignment, custom role and group membership
//! of one tenant, indexed so that one check costs a handful of hash lookups, and kept in step
//! with each write (persistent maps: a write copies only what it touches, readers keep theirs).
//!
//! A check asks: may `principal` perform `action` at the scope whose chain (the scope and every
//! scope above it, lowercase canonical ids) is `chain`? The engine expands the principal's
//! groups (nested groups too), takes the assignments of the principal and of each group, keeps
//! those whose scope is in the chain, and lets a role grant the action. A deny assignment that
//! applies wins over any grant. An assignment whose condition does not hold grants nothing, and
//! a permission block whose condition does not hold grants nothing.
//!
//! It does not know the hierarchy: the caller computes the chain (from `leitstand-core`'s tree),
//! so a move is in force with the tree that holds it. It does no I/O.
//!
//! What keeps a check cheap: on a large tenant a check waits for memory, not for instructions
//! (its data is spread over far more memory than the caches hold, and every request asks about
//! other principals and scopes), so the index is laid out for few dependent cache misses:
//!
//! - Each principal id has an entry in a flat hash table ([`HashBuckets`]: a bucket list and
//!   sorted buckets, found by interpolation) that holds its id inline and its closure, the
//!   principal and every group it is in, nested groups too, precomputed. A check reads one
//!   bucket for its caller and never walks the groups.
//! - Each role assignment has an entry in one of two scope tables, keyed by a hash of its scope,
//!   holding the principal's number and the role: a check looks up each chain scope and keeps
//!   the entries of its caller's closure, without touching an assignment whose role does not
//!   grant the action. Scopes at or below a subscription are keyed by the subscription first,
//!   so a subscription's scopes share a bucket; management groups and the root are in a table
//!   of their own, small enough to stay in the caches.
//! - A check starts these loads, independent of one another, before it needs them.
//! - Custom roles are found by binary search on a hash the assignment carries; a role's
//!   patterns are grouped by provider namespace; deny assignments are looked up only for chain
//!   scopes whose hash a deny assignment's scope has, and name principals by number; and a
//!   check does not allocate (its scratch lists are inline, the lowercased action is on the
//!   stack).
//!
//! What a write costs: an assignment write copies one bucket of a scope table (and the bucket
//! list, once per write transaction, as the index is cloned per transaction) and the
//! principal's list; a membership write recomputes the closure of the member and of every
//! principal below it, so putting a group with many transitive members into another group
//! rewrites as many table entries (closures are read by every check, membership changes are
//! rare). [`AccessIndexBuilder`] builds a whole tenant at once (a snapshot load): each list and
//! table once, the tables allocated together.
//!
//! Principal numbers are never reused or dropped, so the index keeps one small entry per
//! principal id it has ever seen.

use std::borrow::Cow;
use std::collections::HashSet;
use std::hint::black_box;
use std::sync::{Arc, LazyLock};

use smallvec::SmallVec;

use crate::condition::{self, AttributeValue, Context, Source};
use crate::definition::{Permission, RoleDefinition};

/// The principal id Azure uses in deny assignments for everyone.
pub const EVERYONE: &str = "00000000-0000-0000-0000-000000000000";

/// Most levels of group nesting the engine follows (a cycle stops there too).
const MAX_NESTING: usize = 32;

/// One action pattern, compiled: lowercase, with the common shapes matched without the glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// `*`.
    Any,
    /// No wildcard.
    Exact(Box<str>),
    /// `prefix*` with no other wildcard.
    Prefix(Box<str>),
    /// `*suffix` with no other wildcard.
    Suffix(Box<str>),
    /// Anything else.
    Glob(Box<str>),
}

impl Pattern {
    fn compile(pattern: &str) -> Pattern {
        let lower = pattern.to_ascii_lowercase();
        let stars = lower.bytes().filter(|b| *b == b'*').count();
        if lower == "*" {
            Pattern::Any
        } else if stars == 0 {
            Pattern::Exact(lower.into())
        } else if stars == 1 && lower.ends_with('*') {
            Pattern::Prefix(lower.trim_end_matches('*').into())
        } else if stars == 1 && lower.starts_with('*') {
            Pattern::Suffix(lower.trim_start_matches('*').into())
        } else {
            Pattern::Glob(lower.into())
        }
    }

    /// Matches a lowercase action.
    fn matches(&self, action: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(p) => **p == *action,
            Pattern::Prefix(p) => action.starts_with(&**p),
            Pattern::Suffix(p) => action.ends_with(&**p),
            Pattern::Glob(p) => crate::matching::action_matches(p, action),
        }
    }
}

/// The patterns of one list (Actions, NotActions, …), sorted by provider namespace so that a
/// check reads only the patterns that can match its action.
///
/// A pattern whose namespace (the text before its first `/`) has no `*` can only match an action
/// with that namespace: its literal text up to the `/` must begin the action.
#[derive(Debug, Clone, Default)]
struct PatternSet {
    /// Patterns with a `*` before their first `/`, or without a `/`: tried on every action.
    anywhere: Vec<Pattern>,
    /// The other patterns by lowercase namespace, sorted by namespace.
    by_namespace: Vec<(Box<str>, Vec<Pattern>)>,
}

impl PatternSet {
    fn compile(patterns: &[String]) -> PatternSet {
        let mut set = PatternSet::default();
        for pattern in patterns {
            let lower = pattern.to_ascii_lowercase();
            match lower.split_once('/') {
                Some((namespace, _)) if !namespace.contains('*') => {
                    let compiled = Pattern::compile(&lower);
                    match set
                        .by_namespace
                        .binary_search_by(|(n, _)| (**n).cmp(namespace))
                    {
                        Ok(idx) => {
                            if let Some((_, list)) = set.by_namespace.get_mut(idx) {
                                list.push(compiled);
                            }
                        }
                        Err(idx) => set
                            .by_namespace
                            .insert(idx, (namespace.into(), vec![compiled])),
                    }
                }
                _ => set.anywhere.push(Pattern::compile(&lower)),
            }
        }
        set
    }

    /// Whether some pattern matches the lowercase `action`.
    fn matches(&self, action: &str) -> bool {
        if self.anywhere.iter().any(|p| p.matches(action)) {
            return true;
        }
        let Some((namespace, _)) = action.split_once('/') else {
            return false;
        };
        self.by_namespace
            .binary_search_by(|(n, _)| (**n).cmp(namespace))
            .ok()
            .and_then(|idx| self.by_namespace.get(idx))
            .is_some_and(|(_, list)| list.iter().any(|p| p.matches(action)))
    }
}

/// A permission block, compiled.
#[derive(Debug, Clone)]
struct Block {
    actions: PatternSet,
    not_actions: PatternSet,
    data_actions: PatternSet,
    not_data_actions: PatternSet,
    /// The block's condition, parsed; a block whose condition does not parse grants nothing.
    condition: Option<Result<Arc<condition::Condition>, ()>>,
}

impl Block {
    fn compile(p: &Permission) -> Block {
        let compile = |list: &[String]| PatternSet::compile(list);
        Block {
            actions: compile(&p.actions),
            not_actions: compile(&p.not_actions),
            data_actions: compile(&p.data_actions),
            not_data_actions: compile(&p.not_data_actions),
            condition: p.condition.as_ref().map(|c| {
                condition::parse(&c.expression)
                    .map(Arc::new)
                    .map_err(|_| ())
            }),
        }
    }

    /// Whether the patterns grant the (lowercase) action; conditions aside.
    fn patterns_allow(&self, action: &str, data: bool) -> bool {
        let (granted, subtracted) = if data {
            (&self.data_actions, &self.not_data_actions)
        } else {
            (&self.actions, &self.not_actions)
        };
        granted.matches(action) && !subtracted.matches(action)
    }
}

/// A role definition, compiled for checks.
#[derive(Debug, Clone)]
pub struct CompiledRole {
    /// The definition's id (lowercase GUID).
    pub id: Arc<str>,
    /// The role's name.
    pub name: Arc<str>,
    blocks: Vec<Block>,
}

impl CompiledRole {
    /// Compiles a definition.
    pub fn compile(role: &RoleDefinition) -> CompiledRole {
        CompiledRole {
            id: role.id.to_ascii_lowercase().into(),
            name: role.role_name.as_str().into(),
            blocks: role.permissions.iter().map(Block::compile).collect(),
        }
    }

    /// Whether some block grants the lowercase `action`, each block's condition evaluated
    /// against `context`.
    fn allows(&self, action: &str, data: bool, context: &dyn Context) -> bool {
        self.blocks.iter().any(|b| {
            b.patterns_allow(action, data)
                && match &b.condition {
                    None => true,
                    Some(Ok(c)) => condition::evaluate(c.as_ref(), context).result,
                    Some(Err(())) => false,
                }
        })
    }

    /// Whether some block grants the lowercase `action` by its patterns, conditions aside.
    fn allows_ignoring_conditions(&self, action: &str, data: bool) -> bool {
        self.blocks.iter().any(|b| b.patterns_allow(action, data))
    }

    /// Whether some block that grants the action carries a condition.
    fn conditional_for(&self, action: &str, data: bool) -> bool {
        self.blocks
            .iter()
            .any(|b| b.condition.is_some() && b.patterns_allow(action, data))
    }
}

/// The built-in roles, compiled once.
static BUILTIN: LazyLock<std::collections::HashMap<String, Arc<CompiledRole>>> =
    LazyLock::new(|| {
        crate::builtin_roles()
            .iter()
            .map(|r| (r.id.clone(), Arc::new(CompiledRole::compile(r))))
            .collect()
    });

/// A role assignment as the engine holds it.
#[derive(Debug, Clone)]
pub struct AssignmentEntry {
    /// The assignment's name (lowercase GUID).
    pub id: Arc<str>,
    /// The lowercase canonical scope id (`/` for the root scope).
    pub scope: Arc<str>,
    /// The lowercase principal id.
    pub principal: Arc<str>,
    /// The lowercase role definition id.
    pub role: Arc<str>,
    /// The condition, parsed; an assignment whose condition does not parse grants nothing.
    condition: Option<Result<Arc<condition::Condition>, ()>>,
    /// The role, when it is a built-in one: built-in roles win over custom ones and never
    /// change, so a check need not look it up.
    builtin_role: Option<&'static CompiledRole>,
    /// `id_hash(&role)`: where a check finds a custom role in [`RoleTable`].
    role_hash: u64,
}

impl AssignmentEntry {
    /// Builds an entry; ids are lowercased, the condition parsed.
    pub fn new(
        id: &str,
        scope: &str,
        principal: &str,
        role: &str,
        condition: Option<&str>,
    ) -> AssignmentEntry {
        let role = role.to_ascii_lowercase();
        AssignmentEntry {
            id: id.to_ascii_lowercase().into(),
            scope: normalize_scope(scope).into(),
            principal: principal.to_ascii_lowercase().into(),
            builtin_role: BUILTIN.get(&role).map(|r| &**r),
            role_hash: id_hash(&role),
            role: role.into(),
            condition: condition
                .filter(|c| !c.trim().is_empty())
                .map(|c| condition::parse(c).map(Arc::new).map_err(|_| ())),
        }
    }

    /// Whether the assignment has a condition.
    pub fn has_condition(&self) -> bool {
        self.condition.is_some()
    }
}

/// A deny assignment as the engine holds it.
#[derive(Debug, Clone)]
pub struct DenyEntry {
    /// The deny assignment's id (lowercase GUID).
    pub id: Arc<str>,
    /// Its name, for messages.
    pub name: Arc<str>,
    /// The lowercase canonical scope id.
    pub scope: Arc<str>,
    /// The principals it denies ([`EVERYONE`] for all).
    pub principals: Vec<Arc<str>>,
    /// The principals it leaves alone, whatever `principals` says.
    pub exclude_principals: Vec<Arc<str>>,
    /// Applies at its own scope only, not below.
    pub do_not_apply_to_child_scopes: bool,
    blocks: Vec<Block>,
}

impl DenyEntry {
    /// Builds an entry from its permission blocks (Actions/NotActions/DataActions/NotDataActions
    /// are what it denies and leaves open).
    pub fn new(
        id: &str,
        name: &str,
        scope: &str,
        permissions: &[Permission],
        principals: &[String],
        exclude_principals: &[String],
        do_not_apply_to_child_scopes: bool,
    ) -> DenyEntry {
        let ids = |list: &[String]| list.iter().map(|p| p.to_ascii_lowercase().into()).collect();
        DenyEntry {
            id: id.to_ascii_lowercase().into(),
            name: name.into(),
            scope: normalize_scope(scope).into(),
            principals: ids(principals),
            exclude_principals: ids(exclude_principals),
            do_not_apply_to_child_scopes,
            blocks: permissions.iter().map(Block::compile).collect(),
        }
    }

    fn denies(&self, action: &str, data: bool) -> bool {
        self.blocks.iter().any(|b| b.patterns_allow(action, data))
    }
}

/// A deny assignment with its principals as [`PrincipalId`]s, so that a check compares numbers.
#[derive(Debug)]
struct DenyRule {
    entry: Arc<DenyEntry>,
    /// Whether `entry.principals` names [`EVERYONE`].
    everyone: bool,
    /// The ids of `entry.principals`.
    principals: Box<[PrincipalId]>,
    /// The ids of `entry.exclude_principals`.
    exclude_principals: Box<[PrincipalId]>,
}

impl DenyRule {
    /// Whether it reaches one of `principals` (the caller and its groups) and excludes none.
    fn covers(&self, principals: &[PrincipalId]) -> bool {
        let named = self.everyone || self.principals.iter().any(|p| principals.contains(p));
        named
            && !self
                .exclude_principals
                .iter()
                .any(|p| principals.contains(p))
    }
}

/// The deny assignments made at one scope.
#[derive(Debug, Clone)]
struct DenyScope {
    /// `id_hash(&scope)`.
    hash: u64,
    scope: Arc<str>,
    rules: Arc<[Arc<DenyRule>]>,
}

/// `/subscriptions/{id}` of a lowercase scope at or below a subscription.
fn subscription_of(scope: &str) -> Option<Arc<str>> {
    let rest = scope.strip_prefix("/subscriptions/")?;
    let id = rest.split('/').next().filter(|id| !id.is_empty())?;
    Some(format!("/subscriptions/{id}").into())
}

/// Lowercases a scope id and drops a trailing slash (but keeps `/`).
pub fn normalize_scope(scope: &str) -> String {
    let lower = scope.to_ascii_lowercase();
    let trimmed = lower.trim_end_matches('/');
    if trimmed.is_empty() {
        "/".to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The hasher of the index's maps: their keys are ids the index itself lowercased, and a check
/// hashes one of them (the caller's id), so SipHash's cost bought nothing here; foldhash's
/// per-map random seed keeps the maps' shape out of a client's hands.
type MapHasher = foldhash::fast::RandomState;

type Map<V> = im::HashMap<Arc<str>, V, MapHasher>;

/// Hashes a scope, role or principal id, for the prefilters of a check (foldhash with a fixed
/// seed: 16 bytes per multiply, so hashing a check's chain is cheap).
///
/// It is unkeyed: it only decides when to compare strings, never an answer, so a collision
/// costs a string comparison and nothing else.
fn id_hash(id: &str) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    const SEED: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x1e17_57a9);
    let mut hasher = SEED.build_hasher();
    hasher.write(id.as_bytes());
    hasher.finish()
}

/// A 256-bit Bloom filter over [`id_hash`]es (one bit each, from the top byte): a quick no.
#[derive(Clone, Copy, Default)]
struct Bloom([u64; 4]);

impl Bloom {
    fn insert(&mut self, hash: u64) {
        if let Some(word) = self.0.get_mut((hash >> 62) as usize) {
            *word |= 1 << ((hash >> 56) & 63);
        }
    }

    fn may_contain(&self, hash: u64) -> bool {
        self.0
            .get((hash >> 62) as usize)
            .is_some_and(|word| word & (1 << ((hash >> 56) & 63)) != 0)
    }
}

/// Inline room of a check's scratch lists: chains and group sets larger than this spill to the
/// heap, the common ones do not allocate.
const INLINE: usize = 16;

/// A check's chain with each scope's hash and [`scope_key`].
struct ScopeChain<'a> {
    scopes: &'a [&'a str],
    /// `hashes[i]` is `id_hash(scopes[i])`.
    hashes: SmallVec<[u64; INLINE]>,
    /// `keys[i]` is `scope_key(scopes[i])`.
    keys: SmallVec<[(u64, bool); INLINE]>,
}

impl<'a> ScopeChain<'a> {
    fn new(scopes: &'a [&'a str]) -> ScopeChain<'a> {
        let hashes: SmallVec<[u64; INLINE]> = scopes.iter().map(|s| id_hash(s)).collect();
        // The chain's scopes below a subscription share its id: hash it once.
        let mut last: Option<(&str, u64)> = None;
        let keys = scopes
            .iter()
            .zip(&hashes)
            .map(|(scope, hash)| match subscription_prefix(scope) {
                Some(prefix) => {
                    let prefix_hash = match last {
                        Some((p, h)) if p == prefix => h,
                        _ => id_hash(prefix),
                    };
                    last = Some((prefix, prefix_hash));
                    (subscription_key(prefix_hash, *hash), true)
                }
                None => (*hash, false),
            })
            .collect();
        ScopeChain {
            scopes,
            hashes,
            keys,
        }
    }
}

/// `/subscriptions/{id}` of a lowercase scope at or below a subscription.
fn subscription_prefix(scope: &str) -> Option<&str> {
    let rest = scope.strip_prefix("/subscriptions/")?;
    let id_len = rest.find('/').unwrap_or(rest.len());
    if id_len == 0 {
        return None;
    }
    scope.get(..("/subscriptions/".len() + id_len))
}

/// The key of a scope at or below a subscription: the subscription's hash above, the scope's
/// below, so that a subscription's scopes sit side by side in one bucket.
fn subscription_key(subscription_hash: u64, scope_hash: u64) -> u64 {
    (subscription_hash & 0xffff_ffff_0000_0000) | (scope_hash >> 32)
}

/// Where a lowercase scope's role assignments are in the scope tables: its key, and whether it
/// is in the subscription table (the scope is at or below a subscription) or the tenant table.
fn scope_key(scope: &str) -> (u64, bool) {
    match subscription_prefix(scope) {
        Some(prefix) => (subscription_key(id_hash(prefix), id_hash(scope)), true),
        None => (id_hash(scope), false),
    }
}

/// Returns `text` in ASCII lowercase, borrowing it when it already is.
fn lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// Returns `text` in ASCII lowercase, written into `buffer` when it has to change and fits, so
/// that a check does not allocate for it.
fn lowercase_in<'b>(text: &'b str, buffer: &'b mut [u8]) -> Cow<'b, str> {
    if !text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Cow::Borrowed(text);
    }
    if let Some(out) = buffer.get_mut(..text.len()) {
        out.copy_from_slice(text.as_bytes());
        out.make_ascii_lowercase();
        let out: &'b [u8] = out;
        // ASCII lowercasing keeps UTF-8 valid, so this always borrows.
        if let Ok(lower) = std::str::from_utf8(out) {
            return Cow::Borrowed(lower);
        }
    }
    Cow::Owned(text.to_ascii_lowercase())
}

/// A principal's number in the index, given when its id is first seen and never reused.
type PrincipalId = u32;

/// What the index holds per principal: what writes and listings need (a check reads the
/// principal's [`PrincipalEntry`] and the chain's [`ScopeEntry`]s instead).
#[derive(Clone)]
struct PrincipalSlot {
    /// The lowercase principal id.
    name: Arc<str>,
    /// The groups the principal is a direct member of, distinct.
    groups: SmallVec<[PrincipalId; 4]>,
    /// The assignments made to the principal.
    assignments: Arc<[Arc<AssignmentEntry>]>,
}

impl PrincipalSlot {
    fn new(name: Arc<str>) -> PrincipalSlot {
        PrincipalSlot {
            name,
            groups: SmallVec::new(),
            assignments: Arc::from([]),
        }
    }
}

/// An entry of a [`HashBuckets`] table: its key's [`id_hash`].
trait Hashed {
    fn hash(&self) -> u64;
}

/// A persistent hash table keyed by [`id_hash`]: a flat list of buckets, each one sorted
/// allocation of entries, so that a lookup reads the bucket list (small, mostly cached) and then
/// one bucket, where a hash array mapped trie reads a node per level and the key behind it.
///
/// A write copies one bucket (and the bucket list when the table is shared, once per write
/// transaction); the table doubles its buckets when they hold more than `load` entries on
/// average. Entries with the same hash sit side by side; the caller tells them apart.
#[derive(Clone)]
struct HashBuckets<T> {
    // INVARIANT (buckets): `buckets.len()` is `1 << bits`; an entry with hash `h` is in bucket
    // `h >> (64 - bits)` (bucket 0 when `bits` is 0); each bucket is sorted by hash (and by
    // whatever its users add to the order, for entries with equal hashes).
    buckets: Arc<Vec<Arc<[T]>>>,
    bits: u32,
    len: usize,
}

impl<T> Default for HashBuckets<T> {
    fn default() -> HashBuckets<T> {
        HashBuckets {
            buckets: Arc::new(vec![Arc::from([])]),
            bits: 0,
            len: 0,
        }
    }
}

impl<T: Hashed + Clone> HashBuckets<T> {
    fn bucket_idx(&self, hash: u64) -> usize {
        hash.checked_shr(64 - self.bits).unwrap_or(0) as usize
    }

    /// Returns where in its bucket a lookup of `hash` starts: where the hash would sit if the
    /// bucket's hashes were spread evenly (they are hashes), so that a lookup mostly reads one
    /// cache line where a binary search reads several, one after another.
    fn guess(&self, hash: u64, len: usize) -> usize {
        let below = hash.checked_shl(self.bits).unwrap_or(0);
        (((below >> 32) * len as u64) >> 32) as usize
    }

    /// Returns the entries whose hash is `hash`.
    fn get(&self, hash: u64) -> &[T] {
        let Some(bucket) = self.buckets.get(self.bucket_idx(hash)) else {
            return &[];
        };
        // From the interpolated guess, a few steps to the first entry not below `hash` (one or
        // two in a bucket of evenly spread hashes), else a binary search.
        let below = |idx: usize| bucket.get(idx).is_some_and(|e| e.hash() < hash);
        let mut start = self.guess(hash, bucket.len());
        let mut steps = 0;
        while steps < 4 && below(start) {
            start += 1;
            steps += 1;
        }
        while steps < 4 && start > 0 && !below(start - 1) {
            start -= 1;
            steps += 1;
        }
        if steps == 4 {
            start = bucket.partition_point(|e| e.hash() < hash);
        }
        let rest = bucket.get(start..).unwrap_or_default();
        let short = rest
            .iter()
            .take(LONG_RANGE)
            .take_while(|e| e.hash() == hash)
            .count();
        let end = if short < LONG_RANGE {
            short
        } else {
            rest.partition_point(|e| e.hash() == hash)
        };
        rest.get(..end).unwrap_or_default()
    }

    /// Reads the entry of `hash`'s bucket where a lookup starts, so that a caller can start the
    /// loads of several lookups before it needs any of them.
    fn touch(&self, hash: u64) -> u64 {
        self.buckets
            .get(self.bucket_idx(hash))
            .and_then(|bucket| bucket.get(self.guess(hash, bucket.len())))
            .map_or(0, |e| e.hash())
    }

    /// Rewrites the bucket of `hash` with `edit`, which must keep it sorted by hash (and by
    /// whatever else the table's users sort by) and put no entry of another bucket in it.
    fn edit(&mut self, hash: u64, edit: impl FnOnce(&mut Vec<T>)) {
        let idx = self.bucket_idx(hash);
        let buckets = Arc::make_mut(&mut self.buckets);
        let Some(bucket) = buckets.get_mut(idx) else {
            return;
        };
        let mut list = bucket.to_vec();
        let before = list.len();
        edit(&mut list);
        self.len = (self.len + list.len()).saturating_sub(before);
        *bucket = list.into();
        debug_assert!(
            bucket
                .windows(2)
                .all(|w| matches!(w, [a, b] if a.hash() <= b.hash())),
            "INVARIANT (buckets)"
        );
    }

    /// Builds a table of `entries`, sorted by hash, with at most `load` entries per bucket on
    /// average; the buckets are allocated one after another, so that they sit close together.
    fn from_sorted(entries: Vec<T>, load: usize) -> HashBuckets<T> {
        let mut bits = 0;
        while entries.len() > load << bits && bits < 40 {
            bits += 1;
        }
        let mut buckets: Vec<Arc<[T]>> = Vec::with_capacity(1 << bits);
        let mut rest = &entries[..];
        for idx in 0..1u64 << bits {
            let n = rest
                .iter()
                .take_while(|e| e.hash().checked_shr(64 - bits).unwrap_or(0) == idx)
                .count();
            let (bucket, after) = rest.split_at(n);
            buckets.push(Arc::from(bucket));
            rest = after;
        }
        debug_assert!(rest.is_empty(), "INVARIANT (buckets)");
        HashBuckets {
            buckets: Arc::new(buckets),
            bits,
            len: entries.len(),
        }
    }

    /// Doubles the buckets while they hold more than `load` entries on average.
    fn grow(&mut self, load: usize) {
        while self.len > load << self.bits && self.bits < 40 {
            let bits = self.bits + 1;
            let mut split: Vec<Vec<T>> = vec![Vec::new(); 1 << bits];
            for entry in self.buckets.iter().flat_map(|b| b.iter()) {
                let idx = entry.hash().checked_shr(64 - bits).unwrap_or(0) as usize;
                if let Some(list) = split.get_mut(idx) {
                    list.push(entry.clone());
                }
            }
            self.buckets = Arc::new(split.into_iter().map(Arc::from).collect());
            self.bits = bits;
        }
    }
}

/// Longest principal id a [`PrincipalEntry`] keeps inline (an object id GUID is 36 bytes).
const INLINE_NAME: usize = 36;

/// What a check needs of its caller, found by hashing the caller's id: the id itself (inline
/// when short, to confirm the match without another load) and its closure.
#[derive(Clone)]
struct PrincipalEntry {
    /// `id_hash(name)`.
    hash: u64,
    id: PrincipalId,
    /// The lowercase principal id, as bytes.
    name: SmallVec<[u8; INLINE_NAME]>,
    /// The principal first, then every group it is in, nested groups too, as
    /// [`AccessIndex::walk`] finds them, so that a check does not walk.
    // INVARIANT (closure): `closure == walk(id)`; `refresh_closures` keeps it in step after
    // each membership change.
    closure: SmallVec<[PrincipalId; 6]>,
}

impl Hashed for PrincipalEntry {
    fn hash(&self) -> u64 {
        self.hash
    }
}

/// A role assignment in the table a check looks the chain's scopes up in, with what deciding it
/// needs before the assignment itself is read.
#[derive(Clone)]
struct ScopeEntry {
    /// `id_hash(&assignment.scope)`.
    hash: u64,
    /// The id of `assignment.principal`.
    principal: PrincipalId,
    /// `assignment.builtin_role`.
    builtin_role: Option<&'static CompiledRole>,
    /// `assignment.role_hash`: with it and `builtin_role` a check rules out an assignment whose
    /// role does not grant the action without reading the assignment.
    role_hash: u64,
    assignment: Arc<AssignmentEntry>,
}

impl Hashed for ScopeEntry {
    fn hash(&self) -> u64 {
        self.hash
    }
}

/// Entries per bucket of the scope table on average, at most.
const SCOPE_LOAD: usize = 8;

/// Entries per bucket of the principal table on average, at most.
const PRINCIPAL_LOAD: usize = 2;

/// A range of a scope's entries this long or longer is searched by principal instead of read.
const LONG_RANGE: usize = 16;

/// Principals per chunk of [`Slots`].
const CHUNK: usize = 64;

type Chunk = [Option<PrincipalSlot>; CHUNK];

/// The principal slots by [`PrincipalId`]: a two-level persistent array, so that a lookup is two
/// loads and a write copies one chunk (and the chunk list when the index is shared).
#[derive(Clone, Default)]
struct Slots {
    chunks: Arc<Vec<Arc<Chunk>>>,
    len: u32,
}

impl Slots {
    fn get(&self, id: PrincipalId) -> Option<&PrincipalSlot> {
        let id = id as usize;
        self.chunks.get(id / CHUNK)?.get(id % CHUNK)?.as_ref()
    }

    fn get_mut(&mut self, id: PrincipalId) -> Option<&mut PrincipalSlot> {
        let id = id as usize;
        let chunk = Arc::make_mut(&mut self.chunks).get_mut(id / CHUNK)?;
        Arc::make_mut(chunk).get_mut(id % CHUNK)?.as_mut()
    }

    /// Adds a slot; returns its id, or `None` when every id is taken.
    fn push(&mut self, slot: PrincipalSlot) -> Option<PrincipalId> {
        let id = self.len;
        let next = id.checked_add(1)?;
        let idx = id as usize;
        let chunks = Arc::make_mut(&mut self.chunks);
        if idx % CHUNK == 0 {
            chunks.push(Arc::new(std::array::from_fn(|_| None)));
        }
        let place = chunks
            .get_mut(idx / CHUNK)
            .and_then(|chunk| Arc::make_mut(chunk).get_mut(idx % CHUNK))?;
        *place = Some(slot);
        self.len = next;
        Some(id)
    }

    fn iter(&self) -> impl Iterator<Item = &PrincipalSlot> {
        self.chunks
            .iter()
            .flat_map(|chunk| chunk.iter())
            .filter_map(Option::as_ref)
    }
}

/// The custom roles sorted by `(id_hash(id), id)`: a check finds an assignment's role by binary
/// search on the hash its entry carries, without hashing or a map walk.
type RoleTable = Arc<Vec<(u64, Arc<CompiledRole>)>>;

/// Everything one tenant's checks need. Cloning is cheap (persistent maps).
#[derive(Clone, Default)]
pub struct AccessIndex {
    custom_roles: Map<Arc<CompiledRole>>,
    /// The same roles, for checks.
    role_table: RoleTable,
    assignments: Map<Arc<AssignmentEntry>>,
    /// Per lowercase principal id: its [`PrincipalId`] and closure. Entries are never removed:
    /// a group's members and deny assignments refer to principals by number.
    principal_table: HashBuckets<PrincipalEntry>,
    /// Per principal: its direct groups and its assignments.
    principals: Slots,
    /// The role assignments at or below a subscription, by [`scope_key`], sorted by
    /// `(key, principal)`: a check looks up each chain scope here and keeps the entries of the
    /// caller's closure. A subscription's scopes share a bucket.
    subscription_table: HashBuckets<ScopeEntry>,
    /// The other role assignments (at management groups and the root), the same way: a small
    /// table, so that a check's lookups of the upper chain mostly hit the cache.
    tenant_table: HashBuckets<ScopeEntry>,
    by_scope: Map<Arc<[Arc<AssignmentEntry>]>>,
    /// `/subscriptions/{id}` → how many assignments are at or below it (Azure's limit).
    per_subscription: Map<usize>,
    /// Group → its direct members.
    members: Map<Arc<[Arc<str>]>>,
    denies: Map<Arc<DenyRule>>,
    /// The deny assignments by scope, sorted by `(hash, scope)`: a check looks up only the chain
    /// scopes whose hash passes `deny_scope_bloom`.
    deny_scopes: Arc<Vec<DenyScope>>,
    /// The hashes of `deny_scopes`' scopes.
    deny_scope_bloom: Bloom,
}

impl std::fmt::Debug for AccessIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessIndex")
            .field("custom_roles", &self.custom_roles.len())
            .field("assignments", &self.assignments.len())
            .field(
                "memberships",
                &self
                    .principals
                    .iter()
                    .filter(|p| !p.groups.is_empty())
                    .count(),
            )
            .field("denies", &self.denies.len())
            .finish()
    }
}

fn push<T: Clone>(list: Option<&Arc<[T]>>, item: T) -> Arc<[T]> {
    let mut v: Vec<T> = list.map(|l| l.to_vec()).unwrap_or_default();
    v.push(item);
    v.into()
}

fn without<T: Clone>(list: Option<&Arc<[T]>>, keep: impl Fn(&T) -> bool) -> Option<Arc<[T]>> {
    let v: Vec<T> = list.map(|l| l.iter().filter(|x| keep(x)).cloned().collect())?;
    (!v.is_empty()).then(|| v.into())
}

fn set<V: Clone>(map: &mut Map<V>, key: &Arc<str>, value: Option<V>) {
    match value {
        Some(v) => {
            map.insert(key.clone(), v);
        }
        None => {
            map.remove(key);
        }
    }
}

/// Attributes of a request that conditions read; `()` supplies none.
pub trait Attributes {
    /// Returns the attribute `name` from `source`, if the request has it.
    fn attribute(&self, source: Source, name: &str) -> Option<AttributeValue>;
    /// Returns the suboperation, if any.
    fn sub_operation(&self) -> Option<&str> {
        None
    }
}

impl Attributes for () {
    fn attribute(&self, _: Source, _: &str) -> Option<AttributeValue> {
        None
    }
}

struct ConditionContext<'a> {
    action: &'a str,
    attributes: &'a dyn Attributes,
}

impl Context for ConditionContext<'_> {
    fn action(&self) -> &str {
        self.action
    }
    fn sub_operation(&self) -> Option<&str> {
        self.attributes.sub_operation()
    }
    fn attribute(&self, source: Source, name: &str) -> Option<AttributeValue> {
        self.attributes.attribute(source, name)
    }
}

/// One question to the engine.
#[derive(Clone, Copy)]
pub struct Check<'a> {
    /// The principal asking (any case).
    pub principal: &'a str,
    /// The action or data action (any case).
    pub action: &'a str,
    /// Whether `action` is a data action.
    pub data_action: bool,
    /// The lowercase ids of the target scope and every scope above it, the target first.
    pub chain: &'a [&'a str],
    /// What conditions may read.
    pub attributes: &'a dyn Attributes,
}

/// The engine's answer, borrowing from the index.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Granted by this assignment.
    Allowed(Arc<AssignmentEntry>),
    /// Refused by this deny assignment.
    Denied(Arc<DenyEntry>),
    /// Nothing grants it.
    NotGranted,
}

impl Verdict {
    /// Whether the request may go ahead.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allowed(_))
    }
}

/// A principal that can perform an action at a scope, and how.
#[derive(Debug, Clone)]
pub struct Holder {
    /// The principal.
    pub principal: Arc<str>,
    /// The assignment that grants it.
    pub assignment: Arc<AssignmentEntry>,
    /// The group the assignment is made to, when the principal holds it through membership.
    pub via_group: Option<Arc<str>>,
    /// Whether a condition (of the assignment or the role) decides it per request.
    pub conditional: bool,
}

/// Longest action a check lowercases without allocating (catalogued operations are far shorter).
const ACTION_BUFFER: usize = 256;

impl AccessIndex {
    /// Returns a role: built-in or one of this tenant's custom roles.
    pub fn role(&self, id: &str) -> Option<Arc<CompiledRole>> {
        BUILTIN
            .get(id)
            .or_else(|| self.custom_roles.get(id))
            .cloned()
    }

    /// Adds or replaces a custom role.
    pub fn upsert_role(&mut self, role: &RoleDefinition) {
        let compiled = Arc::new(CompiledRole::compile(role));
        self.custom_roles
            .insert(compiled.id.clone(), compiled.clone());
        let key = (id_hash(&compiled.id), compiled.id.clone());
        let table = Arc::make_mut(&mut self.role_table);
        match table.binary_search_by(|(h, r)| (*h, &*r.id).cmp(&(key.0, &*key.1))) {
            Ok(idx) => {
                if let Some(place) = table.get_mut(idx) {
                    place.1 = compiled;
                }
            }
            Err(idx) => table.insert(idx, (key.0, compiled)),
        }
    }

    /// Removes a custom role.
    pub fn remove_role(&mut self, id: &str) {
        if self.custom_roles.remove(id).is_none() {
            return;
        }
        let hash = id_hash(id);
        let table = Arc::make_mut(&mut self.role_table);
        if let Ok(idx) = table.binary_search_by(|(h, r)| (*h, &*r.id).cmp(&(hash, id))) {
            table.remove(idx);
        }
    }

    /// Returns the custom role a scope entry's assignment names, if it exists, found by its
    /// hash alone when no other custom role shares the hash; the caller compares the ids.
    fn custom_role_by_hash(&self, entry: &ScopeEntry) -> Option<&CompiledRole> {
        let start = self
            .role_table
            .partition_point(|(h, _)| *h < entry.role_hash);
        let same = self.role_table.get(start..).unwrap_or_default();
        match same {
            [(h, role), rest @ ..] if *h == entry.role_hash => {
                if rest.first().is_some_and(|(h, _)| *h == entry.role_hash) {
                    self.custom_role(&entry.assignment)
                } else {
                    Some(role)
                }
            }
            _ => None,
        }
    }

    /// Returns the custom role an assignment names, if it exists.
    fn custom_role(&self, assignment: &AssignmentEntry) -> Option<&CompiledRole> {
        let key = (assignment.role_hash, &*assignment.role);
        let idx = self
            .role_table
            .binary_search_by(|(h, r)| (*h, &*r.id).cmp(&key))
            .ok()?;
        self.role_table.get(idx).map(|(_, role)| &**role)
    }

    /// Returns the id of a lowercase principal id, giving it one if it has none; `None` only
    /// when all 2^32 ids are taken.
    fn intern(&mut self, principal: &str) -> Option<PrincipalId> {
        if let Some(id) = self.principal_id(principal) {
            return Some(id);
        }
        let id = self.principals.push(PrincipalSlot::new(principal.into()))?;
        let hash = id_hash(principal);
        let entry = PrincipalEntry {
            hash,
            id,
            name: SmallVec::from_slice(principal.as_bytes()),
            closure: smallvec::smallvec![id],
        };
        self.principal_table.edit(hash, |list| {
            let at = list.partition_point(|e| e.hash <= hash);
            list.insert(at, entry);
        });
        self.principal_table.grow(PRINCIPAL_LOAD);
        Some(id)
    }

    /// Returns the scope table of assignments at or below a subscription, or the other one.
    fn scope_table(&self, in_subscription: bool) -> &HashBuckets<ScopeEntry> {
        if in_subscription {
            &self.subscription_table
        } else {
            &self.tenant_table
        }
    }

    /// Returns the scope table of assignments at or below a subscription, or the other one.
    fn scope_table_mut(&mut self, in_subscription: bool) -> &mut HashBuckets<ScopeEntry> {
        if in_subscription {
            &mut self.subscription_table
        } else {
            &mut self.tenant_table
        }
    }

    /// Returns the table entry of a lowercase principal id.
    fn principal_entry(&self, principal: &str) -> Option<&PrincipalEntry> {
        self.principal_entry_hashed(principal, id_hash(principal))
    }

    /// Returns the table entry of a lowercase principal id whose [`id_hash`] is `hash`.
    fn principal_entry_hashed(&self, principal: &str, hash: u64) -> Option<&PrincipalEntry> {
        self.principal_table
            .get(hash)
            .iter()
            .find(|e| *e.name == *principal.as_bytes())
    }

    /// Returns the [`PrincipalId`] of a lowercase principal id.
    fn principal_id(&self, principal: &str) -> Option<PrincipalId> {
        self.principal_entry(principal).map(|e| e.id)
    }

    /// Returns the slot of a lowercase principal id.
    fn slot(&self, principal: &str) -> Option<&PrincipalSlot> {
        self.principals.get(self.principal_id(principal)?)
    }

    /// Adds (or replaces, by id) a role assignment.
    pub fn insert_assignment(&mut self, entry: AssignmentEntry) {
        self.remove_assignment(&entry.id.clone());
        let Some(id) = self.intern(&entry.principal) else {
            debug_assert!(false, "principal ids exhausted");
            return;
        };
        let entry = Arc::new(entry);
        self.assignments.insert(entry.id.clone(), entry.clone());
        if let Some(slot) = self.principals.get_mut(id) {
            slot.assignments = push(Some(&slot.assignments), entry.clone());
        }
        let (hash, in_subscription) = scope_key(&entry.scope);
        let scope_entry = ScopeEntry {
            hash,
            principal: id,
            builtin_role: entry.builtin_role,
            role_hash: entry.role_hash,
            assignment: entry.clone(),
        };
        let table = self.scope_table_mut(in_subscription);
        table.edit(hash, |list| {
            let at = list.partition_point(|e| (e.hash, e.principal) <= (hash, id));
            list.insert(at, scope_entry);
        });
        table.grow(SCOPE_LOAD);
        let by_s = push(self.by_scope.get(&entry.scope), entry.clone());
        self.by_scope.insert(entry.scope.clone(), by_s);
        if let Some(sub) = subscription_of(&entry.scope) {
            *self.per_subscription.entry(sub).or_insert(0) += 1;
        }
    }

    /// Removes a role assignment by id; returns whether there was one.
    pub fn remove_assignment(&mut self, id: &str) -> bool {
        let Some(old) = self.assignments.remove(id) else {
            return false;
        };
        let keep = |a: &Arc<AssignmentEntry>| a.id != old.id;
        if let Some(principal) = self.principal_id(&old.principal) {
            if let Some(slot) = self.principals.get_mut(principal) {
                slot.assignments = without(Some(&slot.assignments), keep).unwrap_or(Arc::from([]));
            }
        }
        let (hash, in_subscription) = scope_key(&old.scope);
        self.scope_table_mut(in_subscription).edit(hash, |list| {
            list.retain(|e| !Arc::ptr_eq(&e.assignment, &old));
        });
        let s = without(self.by_scope.get(&old.scope), keep);
        set(&mut self.by_scope, &old.scope, s);
        if let Some(sub) = subscription_of(&old.scope) {
            let left = self
                .per_subscription
                .get(&sub)
                .copied()
                .unwrap_or(1)
                .saturating_sub(1);
            set(&mut self.per_subscription, &sub, (left > 0).then_some(left));
        }
        true
    }

    /// Records that `member` is a direct member of `group`.
    pub fn add_membership(&mut self, group: &str, member: &str) {
        let group: Arc<str> = group.to_ascii_lowercase().into();
        let member: Arc<str> = member.to_ascii_lowercase().into();
        let (Some(group_id), Some(member_id)) = (self.intern(&group), self.intern(&member)) else {
            debug_assert!(false, "principal ids exhausted");
            return;
        };
        let Some(slot) = self.principals.get_mut(member_id) else {
            return;
        };
        if slot.groups.contains(&group_id) {
            return;
        }
        slot.groups.push(group_id);
        let ms = push(self.members.get(&group), member.clone());
        self.members.insert(group, ms);
        self.refresh_closures(&member);
    }

    /// Recomputes the closure of `member` and of every principal below it, the principals whose
    /// closure a change of `member`'s direct groups can change.
    ///
    /// Its cost grows with the transitive members of `member`: putting a group with many
    /// members into another group rewrites each member's closure (a walk and a slot write
    /// each). Membership changes are rare next to checks, and a check then reads one list.
    fn refresh_closures(&mut self, member: &Arc<str>) {
        let mut affected = vec![member.clone()];
        affected.extend(self.transitive_members(member));
        for name in affected {
            let Some(entry) = self.principal_entry(&name) else {
                continue;
            };
            let closure = self.walk(entry.id);
            if *entry.closure == *closure {
                continue;
            }
            let (hash, id) = (entry.hash, entry.id);
            self.principal_table.edit(hash, |list| {
                if let Some(entry) = list.iter_mut().find(|e| e.id == id) {
                    entry.closure = SmallVec::from_slice(&closure);
                }
            });
        }
    }

    /// Removes a direct membership.
    pub fn remove_membership(&mut self, group: &str, member: &str) {
        let group: Arc<str> = group.to_ascii_lowercase().into();
        let member: Arc<str> = member.to_ascii_lowercase().into();
        let ids = (self.principal_id(&group), self.principal_id(&member));
        if let (Some(group_id), Some(member_id)) = ids {
            if let Some(slot) = self.principals.get_mut(member_id) {
                slot.groups.retain(|g| *g != group_id);
            }
        }
        let ms = without(self.members.get(&group), |m| *m != member);
        set(&mut self.members, &group, ms);
        self.refresh_closures(&member);
    }

    /// Adds (or replaces, by id) a deny assignment.
    pub fn insert_deny(&mut self, entry: DenyEntry) {
        self.remove_deny(&entry.id.clone());
        let mut ids = |list: &[Arc<str>]| -> Box<[PrincipalId]> {
            list.iter().filter_map(|p| self.intern(p)).collect()
        };
        let principals = ids(&entry.principals);
        let exclude_principals = ids(&entry.exclude_principals);
        let rule = Arc::new(DenyRule {
            everyone: entry.principals.iter().any(|p| &**p == EVERYONE),
            entry: Arc::new(entry),
            principals,
            exclude_principals,
        });
        self.denies.insert(rule.entry.id.clone(), rule.clone());
        let hash = id_hash(&rule.entry.scope);
        let key = (hash, &*rule.entry.scope);
        let scopes = Arc::make_mut(&mut self.deny_scopes);
        match scopes.binary_search_by(|s| (s.hash, &*s.scope).cmp(&key)) {
            Ok(idx) => {
                if let Some(scope) = scopes.get_mut(idx) {
                    scope.rules = push(Some(&scope.rules), rule);
                }
            }
            Err(idx) => scopes.insert(
                idx,
                DenyScope {
                    hash,
                    scope: rule.entry.scope.clone(),
                    rules: Arc::from([rule]),
                },
            ),
        }
        self.deny_scope_bloom.insert(hash);
    }

    /// Removes a deny assignment by id.
    pub fn remove_deny(&mut self, id: &str) -> bool {
        let Some(old) = self.denies.remove(id) else {
            return false;
        };
        let key = (id_hash(&old.entry.scope), &*old.entry.scope);
        let scopes = Arc::make_mut(&mut self.deny_scopes);
        if let Ok(idx) = scopes.binary_search_by(|s| (s.hash, &*s.scope).cmp(&key)) {
            let left = scopes
                .get(idx)
                .and_then(|s| without(Some(&s.rules), |r| r.entry.id != old.entry.id));
            match (left, scopes.get_mut(idx)) {
                (Some(rules), Some(scope)) => scope.rules = rules,
                _ => {
                    scopes.remove(idx);
                    self.deny_scope_bloom = Bloom::default();
                    for scope in scopes.iter() {
                        self.deny_scope_bloom.insert(scope.hash);
                    }
                }
            }
        }
        true
    }

    /// Returns how many role assignments the index holds.
    pub fn assignment_count(&self) -> usize {
        self.assignments.len()
    }

    /// Returns how many deny assignments the index holds.
    pub fn deny_count(&self) -> usize {
        self.denies.len()
    }

    /// Returns the deny assignments, in no particular order.
    pub fn deny_assignments(&self) -> impl Iterator<Item = &Arc<DenyEntry>> {
        self.denies.values().map(|rule| &rule.entry)
    }

    /// Returns the principal and every group it is in, nested groups too (the principal first).
    pub fn principal_and_groups(&self, principal: &str) -> Vec<Arc<str>> {
        let me = lowercase(principal);
        let Some(entry) = self.principal_entry(&me) else {
            return vec![me.into_owned().into()];
        };
        entry
            .closure
            .iter()
            .filter_map(|id| self.principals.get(*id))
            .map(|slot| slot.name.clone())
            .collect()
    }

    /// Returns the principals that hold membership in `group`, nested groups included.
    pub fn transitive_members(&self, group: &str) -> Vec<Arc<str>> {
        let mut out: Vec<Arc<str>> = Vec::new();
        let mut seen: HashSet<Arc<str>> = HashSet::new();
        let mut queue: Vec<Arc<str>> = vec![group.to_ascii_lowercase().into()];
        while let Some(g) = queue.pop() {
            if let Some(members) = self.members.get(&g) {
                for m in members.iter() {
                    if seen.insert(m.clone()) {
                        out.push(m.clone());
                        queue.push(m.clone());
                    }
                }
            }
        }
        out
    }

    /// Returns the assignments of the principal and its groups whose scope is in `chain`.
    pub fn applicable(&self, principals: &[Arc<str>], chain: &[&str]) -> Vec<Arc<AssignmentEntry>> {
        principals
            .iter()
            .filter_map(|p| self.slot(p))
            .flat_map(|slot| slot.assignments.iter())
            .filter(|a| chain.contains(&&*a.scope))
            .cloned()
            .collect()
    }

    /// Returns an assignment by id (lowercase).
    pub fn assignment(&self, id: &str) -> Option<Arc<AssignmentEntry>> {
        self.assignments.get(id).cloned()
    }

    /// Returns the assignments made to one principal (lowercase id), not its groups'.
    pub fn assignments_of(&self, principal: &str) -> impl Iterator<Item = &Arc<AssignmentEntry>> {
        self.slot(principal)
            .into_iter()
            .flat_map(|slot| slot.assignments.iter())
    }

    /// Returns the assignments made exactly at `scope` (a lowercase scope id).
    pub fn assignments_at_scope(&self, scope: &str) -> impl Iterator<Item = &Arc<AssignmentEntry>> {
        self.by_scope
            .get(scope)
            .into_iter()
            .flat_map(|list| list.iter())
    }

    /// Returns how many assignments are at or below the subscription `id` (any case).
    pub fn count_in_subscription(&self, id: &str) -> usize {
        let key = format!("/subscriptions/{}", id.to_ascii_lowercase());
        self.per_subscription
            .get(key.as_str())
            .copied()
            .unwrap_or(0)
    }

    /// Returns every assignment made at one of the chain's scopes.
    pub fn assignments_at(&self, chain: &[&str]) -> Vec<Arc<AssignmentEntry>> {
        chain
            .iter()
            .filter_map(|s| self.by_scope.get(*s))
            .flat_map(|list| list.iter().cloned())
            .collect()
    }

    /// Returns every assignment, in no particular order.
    pub fn all_assignments(&self) -> impl Iterator<Item = &Arc<AssignmentEntry>> {
        self.assignments.values()
    }

    fn deny_for(
        &self,
        principals: &[PrincipalId],
        action: &str,
        data: bool,
        chain: &ScopeChain<'_>,
    ) -> Option<Arc<DenyEntry>> {
        if self.deny_scopes.is_empty() {
            return None;
        }
        for (depth, (scope, hash)) in chain.scopes.iter().zip(&chain.hashes).enumerate() {
            if !self.deny_scope_bloom.may_contain(*hash) {
                continue;
            }
            let start = self.deny_scopes.partition_point(|s| s.hash < *hash);
            let at_scope = self
                .deny_scopes
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|s| s.hash == *hash)
                .filter(|s| *s.scope == **scope);
            for deny_scope in at_scope {
                for rule in deny_scope.rules.iter() {
                    if rule.entry.do_not_apply_to_child_scopes && depth > 0 {
                        continue;
                    }
                    if rule.covers(principals) && rule.entry.denies(action, data) {
                        return Some(rule.entry.clone());
                    }
                }
            }
        }
        None
    }

    /// Returns `principal` and every group it is in, nested groups too, breadth first, by a
    /// walk over the direct groups (what [`PrincipalEntry::closure`] holds).
    fn walk(&self, principal: PrincipalId) -> SmallVec<[PrincipalId; 8]> {
        let mut ids: SmallVec<[PrincipalId; 8]> = smallvec::smallvec![principal];
        let mut i = 0;
        while let Some(current) = ids.get(i).copied() {
            i += 1;
            if i > MAX_NESTING * 64 {
                // The walk stops here; the principals found but not visited still count.
                break;
            }
            let Some(slot) = self.principals.get(current) else {
                continue;
            };
            for group in &slot.groups {
                if !ids.contains(group) {
                    ids.push(*group);
                }
            }
        }
        ids
    }

    /// Returns the closure of a lowercase principal id (empty when the index has never seen it).
    fn closure(&self, principal: &str) -> &[PrincipalId] {
        self.principal_entry(principal)
            .map_or(&[], |entry| &entry.closure[..])
    }

    /// Decides one request.
    pub fn check(&self, check: &Check<'_>) -> Verdict {
        // On a cold cache a check waits for memory, not for instructions, so it starts the loads
        // it will need, independent of one another, close together: the caller's table entry
        // (after hashing its id), the chain's scope ids, then each chain scope's bucket. The
        // processor overlaps them, with each other and with the deny assignments' test.
        let principal = lowercase(check.principal);
        let principal_hash = id_hash(&principal);
        black_box(self.principal_table.touch(principal_hash));
        for scope in check.chain {
            black_box(scope.as_bytes().first());
        }
        let chain = ScopeChain::new(check.chain);
        for (key, in_subscription) in &chain.keys {
            black_box(self.scope_table(*in_subscription).touch(*key));
        }
        let mut buffer = [0u8; ACTION_BUFFER];
        let action = lowercase_in(check.action, &mut buffer);
        let action = &*action;
        let closure = self
            .principal_entry_hashed(&principal, principal_hash)
            .map_or(&[][..], |entry| &entry.closure[..]);
        if let Some(deny) = self.deny_for(closure, action, check.data_action, &chain) {
            return Verdict::Denied(deny);
        }
        let context = ConditionContext {
            action: check.action,
            attributes: check.attributes,
        };
        // The chain's lookups are independent loads the processor overlaps.
        for (scope, (key, in_subscription)) in chain.scopes.iter().zip(&chain.keys) {
            let entries = self.scope_table(*in_subscription).get(*key);
            let decide = |e: &ScopeEntry| -> Option<Verdict> {
                // The assignment's load overlaps with the role's test.
                black_box(e.assignment.scope.len());
                let role = match e.builtin_role {
                    Some(role) => role,
                    None => self.custom_role_by_hash(e)?,
                };
                if !role.allows(action, check.data_action, &context) {
                    return None;
                }
                // Only now the assignment itself: its scope (the hash may collide) and role.
                let a = &e.assignment;
                if *a.scope != **scope || (e.builtin_role.is_none() && *role.id != *a.role) {
                    return None;
                }
                let holds = match &a.condition {
                    None => true,
                    Some(Ok(c)) => condition::evaluate(c.as_ref(), &context).result,
                    Some(Err(())) => false,
                };
                holds.then(|| Verdict::Allowed(a.clone()))
            };
            if entries.len() < LONG_RANGE {
                for e in entries {
                    if closure.contains(&e.principal) {
                        if let Some(verdict) = decide(e) {
                            return verdict;
                        }
                    }
                }
            } else {
                // Sorted by principal: search each principal of the closure.
                for id in closure {
                    let start = entries.partition_point(|e| e.principal < *id);
                    let of_id = entries.get(start..).unwrap_or_default();
                    for e in of_id.iter().take_while(|e| e.principal == *id) {
                        if let Some(verdict) = decide(e) {
                            return verdict;
                        }
                    }
                }
            }
        }
        Verdict::NotGranted
    }

    /// Lists who can perform `action` at the scope of `chain`: every principal with an
    /// assignment that grants it (members of a granted group too), leaving out those a deny
    /// assignment refuses. Conditional grants are listed and marked.
    pub fn who_can(&self, action: &str, data_action: bool, chain: &[&str]) -> Vec<Holder> {
        let lower = action.to_ascii_lowercase();
        let scope_chain = ScopeChain::new(chain);
        let mut out: Vec<Holder> = Vec::new();
        for a in self.assignments_at(chain) {
            let Some(role) = self.role(&a.role) else {
                continue;
            };
            if !role.allows_ignoring_conditions(&lower, data_action) {
                continue;
            }
            let conditional = a.has_condition() || role.conditional_for(&lower, data_action);
            let mut holders = vec![(a.principal.clone(), None)];
            holders.extend(
                self.transitive_members(&a.principal)
                    .into_iter()
                    .map(|m| (m, Some(a.principal.clone()))),
            );
            for (principal, via_group) in holders {
                if self
                    .deny_for(self.closure(&principal), &lower, data_action, &scope_chain)
                    .is_some()
                {
                    continue;
                }
                if out
                    .iter()
                    .any(|h| h.principal == principal && !h.conditional)
                {
                    continue;
                }
                out.push(Holder {
                    principal,
                    assignment: a.clone(),
                    via_group,
                    conditional,
                });
            }
        }
        out
    }
}

/// Builds an index from a tenant's whole data at once: what loading a snapshot does.
///
/// It takes the same writes as [`AccessIndex`] (`upsert_role`, `insert_assignment`,
/// `insert_deny`, `add_membership`), in any order, and gives the index those writes would give
/// applied one by one. It builds each principal's assignment list, each scope's list, the
/// closures and the lookup tables once, instead of copying them on every write (a principal with
/// `n` assignments cost `n²/2` copies), and allocates the tables a check reads in one go, so
/// that they sit close together in memory.
#[derive(Default)]
pub struct AccessIndexBuilder {
    /// The roles and deny assignments go straight in (they are few).
    index: AccessIndex,
    assignments: Vec<AssignmentEntry>,
    /// `(group, member)`, lowercase.
    memberships: Vec<(Arc<str>, Arc<str>)>,
    denies: Vec<DenyEntry>,
}

impl AccessIndexBuilder {
    /// Adds or replaces a custom role.
    pub fn upsert_role(&mut self, role: &RoleDefinition) {
        self.index.upsert_role(role);
    }

    /// Adds (or replaces, by id) a role assignment.
    pub fn insert_assignment(&mut self, entry: AssignmentEntry) {
        self.assignments.push(entry);
    }

    /// Adds (or replaces, by id) a deny assignment.
    pub fn insert_deny(&mut self, entry: DenyEntry) {
        self.denies.push(entry);
    }

    /// Records that `member` is a direct member of `group`.
    pub fn add_membership(&mut self, group: &str, member: &str) {
        self.memberships.push((
            group.to_ascii_lowercase().into(),
            member.to_ascii_lowercase().into(),
        ));
    }

    /// Returns the index.
    pub fn build(self) -> AccessIndex {
        let AccessIndexBuilder {
            mut index,
            assignments,
            memberships,
            denies,
        } = self;
        // INVARIANT (fresh): the index holds roles only, so every principal is new here.
        debug_assert!(index.principals.len == 0 && index.assignments.is_empty());

        // The last write of an id wins, at the place of that write.
        let mut last: std::collections::HashMap<Arc<str>, usize> = std::collections::HashMap::new();
        for (idx, a) in assignments.iter().enumerate() {
            last.insert(a.id.clone(), idx);
        }
        let assignments: Vec<Arc<AssignmentEntry>> = assignments
            .into_iter()
            .enumerate()
            .filter(|(idx, a)| last.get(&a.id) == Some(idx))
            .map(|(_, a)| Arc::new(a))
            .collect();

        // Principal numbers, in the order the writes name them.
        let mut ids: std::collections::HashMap<Arc<str>, PrincipalId> =
            std::collections::HashMap::new();
        let mut names: Vec<Arc<str>> = Vec::new();
        fn intern(
            ids: &mut std::collections::HashMap<Arc<str>, PrincipalId>,
            names: &mut Vec<Arc<str>>,
            name: &Arc<str>,
        ) -> Option<PrincipalId> {
            if let Some(id) = ids.get(name) {
                return Some(*id);
            }
            let id = PrincipalId::try_from(names.len()).ok()?;
            ids.insert(name.clone(), id);
            names.push(name.clone());
            Some(id)
        }
        let mut lists: Vec<Vec<Arc<AssignmentEntry>>> = Vec::new();
        let mut assignment_ids: Vec<PrincipalId> = Vec::with_capacity(assignments.len());
        for a in &assignments {
            let id = intern(&mut ids, &mut names, &a.principal);
            assignment_ids.push(id.unwrap_or(PrincipalId::MAX));
        }
        let mut groups: Vec<SmallVec<[PrincipalId; 4]>> = Vec::new();
        let mut members: std::collections::HashMap<Arc<str>, Vec<Arc<str>>> =
            std::collections::HashMap::new();
        let mut member_order: Vec<Arc<str>> = Vec::new();
        for (group, member) in &memberships {
            let (Some(group_id), Some(member_id)) = (
                intern(&mut ids, &mut names, group),
                intern(&mut ids, &mut names, member),
            ) else {
                debug_assert!(false, "principal ids exhausted");
                continue;
            };
            if groups.len() < names.len() {
                groups.resize_with(names.len(), SmallVec::new);
            }
            let Some(direct) = groups.get_mut(member_id as usize) else {
                continue;
            };
            if direct.contains(&group_id) {
                continue;
            }
            direct.push(group_id);
            let list = members.entry(group.clone()).or_insert_with(|| {
                member_order.push(group.clone());
                Vec::new()
            });
            list.push(member.clone());
        }
        groups.resize_with(names.len(), SmallVec::new);
        lists.resize_with(names.len(), Vec::new);
        for (a, id) in assignments.iter().zip(&assignment_ids) {
            if let Some(list) = lists.get_mut(*id as usize) {
                list.push(a.clone());
            }
        }

        // The slots, then the closures (a walk over them), then the principal table.
        for ((name, direct), list) in names.iter().zip(groups).zip(lists) {
            let slot = PrincipalSlot {
                name: name.clone(),
                groups: direct,
                assignments: list.into(),
            };
            if index.principals.push(slot).is_none() {
                debug_assert!(false, "principal ids exhausted");
                break;
            }
        }
        let mut entries: Vec<PrincipalEntry> = names
            .iter()
            .zip(0..)
            .map(|(name, id)| PrincipalEntry {
                hash: id_hash(name),
                id,
                name: SmallVec::from_slice(name.as_bytes()),
                closure: SmallVec::from_slice(&index.walk(id)),
            })
            .collect();
        entries.sort_by_key(|e| e.hash);
        index.principal_table = HashBuckets::from_sorted(entries, PRINCIPAL_LOAD);
        index.members = member_order
            .into_iter()
            .filter_map(|group| {
                let list = members.remove(&group)?;
                Some((group, Arc::from(list)))
            })
            .collect();

        // The assignments by id, by scope and by subscription, and the scope table.
        let mut by_scope: std::collections::HashMap<Arc<str>, Vec<Arc<AssignmentEntry>>> =
            std::collections::HashMap::new();
        let mut per_subscription: std::collections::HashMap<Arc<str>, usize> =
            std::collections::HashMap::new();
        let mut tables: [Vec<ScopeEntry>; 2] = [Vec::new(), Vec::new()];
        for (a, id) in assignments.iter().zip(&assignment_ids) {
            by_scope.entry(a.scope.clone()).or_default().push(a.clone());
            if let Some(sub) = subscription_of(&a.scope) {
                *per_subscription.entry(sub).or_insert(0) += 1;
            }
            let (hash, in_subscription) = scope_key(&a.scope);
            let Some(table) = tables.get_mut(usize::from(in_subscription)) else {
                continue;
            };
            table.push(ScopeEntry {
                hash,
                principal: *id,
                builtin_role: a.builtin_role,
                role_hash: a.role_hash,
                assignment: a.clone(),
            });
        }
        // A stable sort: within one scope and principal, the order of the writes.
        let [mut tenant, mut subscription] = tables;
        tenant.sort_by_key(|e| (e.hash, e.principal));
        subscription.sort_by_key(|e| (e.hash, e.principal));
        index.tenant_table = HashBuckets::from_sorted(tenant, SCOPE_LOAD);
        index.subscription_table = HashBuckets::from_sorted(subscription, SCOPE_LOAD);
        index.by_scope = by_scope
            .into_iter()
            .map(|(scope, list)| (scope, Arc::from(list)))
            .collect();
        index.per_subscription = per_subscription.into_iter().collect();
        index.assignments = assignments.into_iter().map(|a| (a.id.clone(), a)).collect();

        for deny in denies {
            index.insert_deny(deny);
        }
        index
    }
}
