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
//! What keeps a check cheap: every principal id gets a number when first seen, and a
//! two-level persistent array holds per number the principal's groups (as numbers, inline when
//! few) and its assignments, so the walk over the caller's groups hashes one id (the caller's)
//! and then reads one slot per group; beside its assignments a principal keeps 32 bits of each
//! one's scope hash, and the check hashes the chain once, so ruling an assignment out compares
//! numbers and touches neither the assignment nor its scope string; custom roles are found by
//! binary search on a hash the assignment carries; a role's patterns are grouped by provider
//! namespace; deny assignments are looked up only for chain scopes whose hash a deny
//! assignment's scope has, and name principals by number; and a check does not allocate (its
//! scratch lists are inline, the lowercased action is on the stack).
//!
//! Principal numbers are never reused or dropped, so the index keeps one small entry per
//! principal id it has ever seen.

use std::borrow::Cow;
use std::collections::HashSet;
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

/// The 32 bits of an [`id_hash`] a principal's scan list keeps per assignment (the top half, so
/// that [`Bloom`] reads the same bits of both).
fn scope_tag(hash: u64) -> u32 {
    (hash >> 32) as u32
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

    fn may_contain_tag(&self, tag: u32) -> bool {
        self.may_contain(u64::from(tag) << 32)
    }
}

/// Inline room of a check's scratch lists: chains and group sets larger than this spill to the
/// heap, the common ones do not allocate.
const INLINE: usize = 16;

/// A check's chain with each scope's hash, so that testing an assignment's scope against it
/// compares numbers first and reads no string unless the hashes match.
struct ScopeChain<'a> {
    scopes: &'a [&'a str],
    /// `hashes[i]` is `id_hash(scopes[i])`.
    hashes: SmallVec<[u64; INLINE]>,
    /// The scopes' hashes: most scopes not in the chain fail this one test.
    bloom: Bloom,
}

impl<'a> ScopeChain<'a> {
    fn new(scopes: &'a [&'a str]) -> ScopeChain<'a> {
        let hashes: SmallVec<[u64; INLINE]> = scopes.iter().map(|s| id_hash(s)).collect();
        let mut bloom = Bloom::default();
        for hash in &hashes {
            bloom.insert(*hash);
        }
        ScopeChain {
            scopes,
            hashes,
            bloom,
        }
    }

    /// Whether `scope`, whose [`scope_tag`] is `tag`, is in the chain; `scope` is read only
    /// when a tag matches, so that most assignments are ruled out without touching them.
    fn contains_tagged<'s>(&self, tag: u32, scope: impl Fn() -> &'s str) -> bool {
        self.bloom.may_contain_tag(tag)
            && self
                .hashes
                .iter()
                .zip(self.scopes)
                .any(|(h, s)| scope_tag(*h) == tag && *s == scope())
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

/// What the index holds per principal.
#[derive(Clone)]
struct PrincipalSlot {
    /// The lowercase principal id.
    name: Arc<str>,
    /// The groups the principal is a direct member of, distinct; inline when there are few, so
    /// that the walk over a caller's groups reads one slot per principal and no list behind it.
    groups: SmallVec<[PrincipalId; 4]>,
    /// The [`scope_tag`] of each assignment: a check scans these and reads an assignment only
    /// when its tag is one of the chain's.
    // INVARIANT (tags): `tags[k] == scope_tag(id_hash(&assignments[k].scope))`.
    tags: Arc<[u32]>,
    /// The assignments made to the principal.
    assignments: Arc<[Arc<AssignmentEntry>]>,
}

impl PrincipalSlot {
    fn new(name: Arc<str>) -> PrincipalSlot {
        PrincipalSlot {
            name,
            groups: SmallVec::new(),
            tags: Arc::from([]),
            assignments: Arc::from([]),
        }
    }

    /// Replaces the assignment list, recomputing the tags.
    fn set_assignments(&mut self, assignments: Vec<Arc<AssignmentEntry>>) {
        self.tags = assignments
            .iter()
            .map(|a| scope_tag(id_hash(&a.scope)))
            .collect();
        self.assignments = assignments.into();
        debug_assert_eq!(self.tags.len(), self.assignments.len(), "INVARIANT (tags)");
    }
}

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
    /// Lowercase principal id → its [`PrincipalId`]. Ids are never removed: a group's members
    /// and deny assignments refer to it by number.
    principal_ids: Map<PrincipalId>,
    /// Per principal: its groups and its assignments, one slot lookup per principal in a check.
    principals: Slots,
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
        if let Some(id) = self.principal_ids.get(principal) {
            return Some(*id);
        }
        let name: Arc<str> = principal.into();
        let id = self.principals.push(PrincipalSlot::new(name.clone()))?;
        self.principal_ids.insert(name, id);
        Some(id)
    }

    /// Returns the slot of a lowercase principal id.
    fn slot(&self, principal: &str) -> Option<&PrincipalSlot> {
        let id = self.principal_ids.get(principal)?;
        self.principals.get(*id)
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
            let mut list = slot.assignments.to_vec();
            list.push(entry.clone());
            slot.set_assignments(list);
        }
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
        if let Some(principal) = self.principal_ids.get(&old.principal).copied() {
            if let Some(slot) = self.principals.get_mut(principal) {
                let list = slot
                    .assignments
                    .iter()
                    .filter(|a| keep(a))
                    .cloned()
                    .collect();
                slot.set_assignments(list);
            }
        }
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
        let ms = push(self.members.get(&group), member);
        self.members.insert(group, ms);
    }

    /// Removes a direct membership.
    pub fn remove_membership(&mut self, group: &str, member: &str) {
        let group: Arc<str> = group.to_ascii_lowercase().into();
        let member: Arc<str> = member.to_ascii_lowercase().into();
        let ids = (
            self.principal_ids.get(&group).copied(),
            self.principal_ids.get(&member).copied(),
        );
        if let (Some(group_id), Some(member_id)) = ids {
            if let Some(slot) = self.principals.get_mut(member_id) {
                slot.groups.retain(|g| *g != group_id);
            }
        }
        let ms = without(self.members.get(&group), |m| *m != member);
        set(&mut self.members, &group, ms);
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
        let Some(id) = self.principal_ids.get(&*me) else {
            return vec![me.into_owned().into()];
        };
        let mut ids: SmallVec<[PrincipalId; INLINE]> = SmallVec::new();
        self.expand(*id, &mut ids, &mut SmallVec::new());
        ids.iter()
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

    /// Collects `principal` and every group it is in, nested groups too, breadth first, as ids
    /// (`ids`) and with their slots (`slots`, in the same order); one slot lookup per principal.
    fn expand<'s>(
        &'s self,
        principal: PrincipalId,
        ids: &mut SmallVec<[PrincipalId; INLINE]>,
        slots: &mut SmallVec<[&'s PrincipalSlot; INLINE]>,
    ) {
        ids.push(principal);
        let mut i = 0;
        while let Some(current) = ids.get(i).copied() {
            i += 1;
            let Some(slot) = self.principals.get(current) else {
                continue;
            };
            slots.push(slot);
            if i > MAX_NESTING * 64 {
                // The walk stops here; the principals found but not visited still count.
                let unvisited = ids.get(i..).unwrap_or_default();
                slots.extend(unvisited.iter().filter_map(|id| self.principals.get(*id)));
                break;
            }
            for group in &slot.groups {
                if !ids.contains(group) {
                    ids.push(*group);
                }
            }
        }
    }

    /// Decides one request.
    pub fn check(&self, check: &Check<'_>) -> Verdict {
        let mut buffer = [0u8; ACTION_BUFFER];
        let action = lowercase_in(check.action, &mut buffer);
        let action = &*action;
        // The chain first: its scopes are independent loads the processor can overlap with the
        // walk over the caller's groups, whose loads depend on one another.
        let chain = ScopeChain::new(check.chain);
        let principal = lowercase(check.principal);
        let mut ids: SmallVec<[PrincipalId; INLINE]> = SmallVec::new();
        let mut slots: SmallVec<[&PrincipalSlot; INLINE]> = SmallVec::new();
        if let Some(id) = self.principal_ids.get(&*principal) {
            self.expand(*id, &mut ids, &mut slots);
        }
        if let Some(deny) = self.deny_for(&ids, action, check.data_action, &chain) {
            return Verdict::Denied(deny);
        }
        let context = ConditionContext {
            action: check.action,
            attributes: check.attributes,
        };
        for slot in slots {
            for (k, tag) in slot.tags.iter().enumerate() {
                if !chain.bloom.may_contain_tag(*tag) {
                    continue;
                }
                let Some(a) = slot.assignments.get(k) else {
                    continue;
                };
                if !chain.contains_tagged(*tag, || &a.scope) {
                    continue;
                }
                let role = match a.builtin_role {
                    Some(role) => role,
                    None => match self.custom_role(a) {
                        Some(role) => role,
                        None => continue,
                    },
                };
                if !role.allows(action, check.data_action, &context) {
                    continue;
                }
                let holds = match &a.condition {
                    None => true,
                    Some(Ok(c)) => condition::evaluate(c.as_ref(), &context).result,
                    Some(Err(())) => false,
                };
                if holds {
                    return Verdict::Allowed(a.clone());
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
                let mut ids: SmallVec<[PrincipalId; INLINE]> = SmallVec::new();
                if let Some(id) = self.principal_ids.get(&principal) {
                    self.expand(*id, &mut ids, &mut SmallVec::new());
                }
                if self
                    .deny_for(&ids, &lower, data_action, &scope_chain)
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
