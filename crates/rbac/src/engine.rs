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
//! What keeps a check cheap: one map entry per principal holds both its groups and its
//! assignments, so the walk over the caller's groups does one lookup per principal; each
//! assignment carries the hash of its scope, and the check hashes the chain once, so ruling an
//! assignment out compares numbers and touches neither the assignment nor its scope string; a
//! role's patterns are grouped by provider namespace; and deny assignments are looked up only for
//! chain scopes whose hash a deny assignment's scope has.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

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

    fn covers(&self, principals: &[&str]) -> bool {
        let named = self
            .principals
            .iter()
            .any(|p| &**p == EVERYONE || principals.contains(&&**p));
        named
            && !self
                .exclude_principals
                .iter()
                .any(|p| principals.contains(&&**p))
    }
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

type Map<V> = im::HashMap<Arc<str>, V>;

/// Hashes a scope or principal id, for the prefilters of a check.
///
/// It is fast and unkeyed: it only decides when to compare strings, never an answer, so a
/// collision costs a string comparison and nothing else.
fn id_hash(id: &str) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes = id.as_bytes();
    let mut hash = (bytes.len() as u64).wrapping_mul(K);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).unwrap_or_default());
        hash = (hash ^ word).wrapping_mul(K).rotate_left(26);
    }
    let tail = chunks
        .remainder()
        .iter()
        .rev()
        .fold(0u64, |tail, b| (tail << 8) | u64::from(*b));
    hash = (hash ^ tail).wrapping_mul(K);
    hash ^ (hash >> 29)
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

/// A check's chain with each scope's hash, so that testing an assignment's scope against it
/// compares numbers first and reads no string unless the hashes match.
struct ScopeChain<'a> {
    scopes: &'a [&'a str],
    /// `hashes[i]` is `id_hash(scopes[i])`.
    hashes: Vec<u64>,
    /// The scopes' hashes: most scopes not in the chain fail this one test.
    bloom: Bloom,
}

impl<'a> ScopeChain<'a> {
    fn new(scopes: &'a [&'a str]) -> ScopeChain<'a> {
        let hashes: Vec<u64> = scopes.iter().map(|s| id_hash(s)).collect();
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

    /// Whether the scope whose hash is `hash` is in the chain; `scope` is read only when a hash
    /// matches, so that most assignments are ruled out without touching them.
    fn contains<'s>(&self, hash: u64, scope: impl Fn() -> &'s str) -> bool {
        self.bloom.may_contain(hash)
            && self
                .hashes
                .iter()
                .zip(self.scopes)
                .any(|(h, s)| *h == hash && *s == scope())
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

/// Everything one tenant's checks need. Cloning is cheap (persistent maps).
#[derive(Clone, Default)]
pub struct AccessIndex {
    custom_roles: Map<Arc<CompiledRole>>,
    assignments: Map<Arc<AssignmentEntry>>,
    /// Principal → the groups it is a direct member of and the assignments made to it: one
    /// lookup per principal and group in a check.
    principals: Map<PrincipalEntry>,
    by_scope: Map<Arc<[Arc<AssignmentEntry>]>>,
    /// `/subscriptions/{id}` → how many assignments are at or below it (Azure's limit).
    per_subscription: Map<usize>,
    /// Group → its direct members.
    members: Map<Arc<[Arc<str>]>>,
    denies: Map<Arc<DenyEntry>>,
    denies_by_scope: Map<Arc<[Arc<DenyEntry>]>>,
    /// `id_hash` of every key of `denies_by_scope`, sorted: a check looks up a chain scope there
    /// only if its hash is here.
    deny_scope_hashes: Arc<[u64]>,
    /// The same hashes in a Bloom filter, tested before the search.
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
                    .values()
                    .filter(|p| !p.member_of.is_empty())
                    .count(),
            )
            .field("denies", &self.denies.len())
            .finish()
    }
}

/// What the index holds per principal; an entry with neither groups nor assignments is removed.
#[derive(Clone, Default)]
struct PrincipalEntry {
    /// The groups the principal is a direct member of, each with `id_hash` of its id.
    // INVARIANT (id hash): every element is `(id_hash(&group), group)`.
    member_of: Arc<[(u64, Arc<str>)]>,
    /// The assignments made to the principal, each with `id_hash` of its scope.
    // INVARIANT (scope hash): every element is `(id_hash(&entry.scope), entry)`.
    assignments: Arc<[(u64, Arc<AssignmentEntry>)]>,
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
        let compiled = CompiledRole::compile(role);
        self.custom_roles
            .insert(compiled.id.clone(), Arc::new(compiled));
    }

    /// Removes a custom role.
    pub fn remove_role(&mut self, id: &str) {
        self.custom_roles.remove(id);
    }

    /// Adds (or replaces, by id) a role assignment.
    pub fn insert_assignment(&mut self, entry: AssignmentEntry) {
        self.remove_assignment(&entry.id.clone());
        let entry = Arc::new(entry);
        self.assignments.insert(entry.id.clone(), entry.clone());
        let mut principal = self.principal_entry(&entry.principal);
        principal.assignments = push(
            Some(&principal.assignments),
            (id_hash(&entry.scope), entry.clone()),
        );
        self.set_principal_entry(&entry.principal, principal);
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
        let mut principal = self.principal_entry(&old.principal);
        principal.assignments =
            without(Some(&principal.assignments), |(_, a)| keep(a)).unwrap_or_default();
        self.set_principal_entry(&old.principal, principal);
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
        let mut entry = self.principal_entry(&member);
        if entry.member_of.iter().any(|(_, g)| *g == group) {
            return;
        }
        entry.member_of = push(Some(&entry.member_of), (id_hash(&group), group.clone()));
        self.set_principal_entry(&member, entry);
        let ms = push(self.members.get(&group), member);
        self.members.insert(group, ms);
    }

    /// Removes a direct membership.
    pub fn remove_membership(&mut self, group: &str, member: &str) {
        let group: Arc<str> = group.to_ascii_lowercase().into();
        let member: Arc<str> = member.to_ascii_lowercase().into();
        let mut entry = self.principal_entry(&member);
        entry.member_of = without(Some(&entry.member_of), |(_, g)| *g != group).unwrap_or_default();
        self.set_principal_entry(&member, entry);
        let ms = without(self.members.get(&group), |m| *m != member);
        set(&mut self.members, &group, ms);
    }

    /// Adds (or replaces, by id) a deny assignment.
    pub fn insert_deny(&mut self, entry: DenyEntry) {
        self.remove_deny(&entry.id.clone());
        let entry = Arc::new(entry);
        self.denies.insert(entry.id.clone(), entry.clone());
        let s = push(self.denies_by_scope.get(&entry.scope), entry.clone());
        self.denies_by_scope.insert(entry.scope.clone(), s);
        let hash = id_hash(&entry.scope);
        self.deny_scope_bloom.insert(hash);
        if let Err(pos) = self.deny_scope_hashes.binary_search(&hash) {
            let mut hashes = self.deny_scope_hashes.to_vec();
            hashes.insert(pos, hash);
            self.deny_scope_hashes = hashes.into();
        }
    }

    /// Removes a deny assignment by id.
    pub fn remove_deny(&mut self, id: &str) -> bool {
        let Some(old) = self.denies.remove(id) else {
            return false;
        };
        let s = without(self.denies_by_scope.get(&old.scope), |d| d.id != old.id);
        set(&mut self.denies_by_scope, &old.scope, s);
        if !self.denies_by_scope.contains_key(&old.scope) {
            let mut hashes: Vec<u64> = self.denies_by_scope.keys().map(|s| id_hash(s)).collect();
            hashes.sort_unstable();
            hashes.dedup();
            self.deny_scope_bloom = Bloom::default();
            for hash in &hashes {
                self.deny_scope_bloom.insert(*hash);
            }
            self.deny_scope_hashes = hashes.into();
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
        self.denies.values()
    }

    /// Returns the principal and every group it is in, nested groups too (the principal first).
    pub fn principal_and_groups(&self, principal: &str) -> Vec<Arc<str>> {
        let me: Arc<str> = principal.to_ascii_lowercase().into();
        let mut out = vec![me];
        let mut i = 0;
        while let Some(current) = out.get(i).cloned() {
            i += 1;
            if i > MAX_NESTING * 64 {
                break;
            }
            if let Some(entry) = self.principals.get(&current) {
                for (_, g) in entry.member_of.iter() {
                    if !out.contains(g) {
                        out.push(g.clone());
                    }
                }
            }
        }
        out
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
            .filter_map(|p| self.principals.get(p))
            .flat_map(|entry| entry.assignments.iter())
            .filter(|(_, a)| chain.contains(&&*a.scope))
            .map(|(_, a)| a.clone())
            .collect()
    }

    /// Returns an assignment by id (lowercase).
    pub fn assignment(&self, id: &str) -> Option<Arc<AssignmentEntry>> {
        self.assignments.get(id).cloned()
    }

    /// Returns the assignments made to one principal (lowercase id), not its groups'.
    pub fn assignments_of(&self, principal: &str) -> impl Iterator<Item = &Arc<AssignmentEntry>> {
        self.principals
            .get(principal)
            .into_iter()
            .flat_map(|entry| entry.assignments.iter().map(|(_, a)| a))
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
        principals: &[&str],
        action: &str,
        data: bool,
        chain: &ScopeChain<'_>,
    ) -> Option<Arc<DenyEntry>> {
        if self.denies.is_empty() {
            return None;
        }
        for (depth, (scope, hash)) in chain.scopes.iter().zip(&chain.hashes).enumerate() {
            if !self.deny_scope_bloom.may_contain(*hash)
                || self.deny_scope_hashes.binary_search(hash).is_err()
            {
                continue;
            }
            let Some(list) = self.denies_by_scope.get(*scope) else {
                continue;
            };
            for deny in list.iter() {
                if deny.do_not_apply_to_child_scopes && depth > 0 {
                    continue;
                }
                if deny.covers(principals) && deny.denies(action, data) {
                    return Some(deny.clone());
                }
            }
        }
        None
    }

    /// Returns a principal's entry (a copy, cheap) or an empty one.
    fn principal_entry(&self, principal: &str) -> PrincipalEntry {
        self.principals.get(principal).cloned().unwrap_or_default()
    }

    /// Stores a principal's entry, or removes it when it holds nothing.
    fn set_principal_entry(&mut self, principal: &Arc<str>, entry: PrincipalEntry) {
        let empty = entry.member_of.is_empty() && entry.assignments.is_empty();
        set(&mut self.principals, principal, (!empty).then_some(entry));
    }

    /// Collects the lowercase `principal` and every group it is in, nested groups too, borrowing
    /// the names (the walk of [`AccessIndex::principal_and_groups`] without its allocations),
    /// and the assignment lists of them all, in the same order, with one lookup per principal.
    fn expand_into<'s>(
        &'s self,
        principal: &'s str,
        principals: &mut Vec<&'s str>,
        assignments: &mut Vec<&'s [(u64, Arc<AssignmentEntry>)]>,
    ) {
        principals.push(principal);
        // INVARIANT (parallel): `hashes[i]` is `id_hash(principals[i])`; comparing hashes first
        // keeps the walk from reading every group's id.
        let mut hashes: Vec<u64> = Vec::with_capacity(8);
        hashes.push(id_hash(principal));
        let mut i = 0;
        while let Some(current) = principals.get(i).copied() {
            i += 1;
            if i > MAX_NESTING * 64 {
                // The walk stops here; the principals found but not visited still count.
                let unvisited = principals.get(i - 1..).unwrap_or_default();
                assignments.extend(
                    unvisited
                        .iter()
                        .filter_map(|p| self.principals.get(*p))
                        .map(|entry| &*entry.assignments),
                );
                break;
            }
            let Some(entry) = self.principals.get(current) else {
                continue;
            };
            if !entry.assignments.is_empty() {
                assignments.push(&entry.assignments);
            }
            for (hash, g) in entry.member_of.iter() {
                let seen = hashes
                    .iter()
                    .zip(principals.iter())
                    .any(|(h, p)| h == hash && *p == &**g);
                if !seen {
                    principals.push(g);
                    hashes.push(*hash);
                }
            }
        }
    }

    /// Decides one request.
    pub fn check(&self, check: &Check<'_>) -> Verdict {
        let action = check.action.to_ascii_lowercase();
        let action = action.as_str();
        let principal = lowercase(check.principal);
        let mut principals: Vec<&str> = Vec::with_capacity(8);
        let mut lists: Vec<&[(u64, Arc<AssignmentEntry>)]> = Vec::with_capacity(8);
        self.expand_into(&principal, &mut principals, &mut lists);
        let chain = ScopeChain::new(check.chain);
        if let Some(deny) = self.deny_for(&principals, action, check.data_action, &chain) {
            return Verdict::Denied(deny);
        }
        let context = ConditionContext {
            action: check.action,
            attributes: check.attributes,
        };
        for list in lists {
            for (hash, a) in list {
                if !chain.contains(*hash, || &a.scope) {
                    continue;
                }
                let role = match a.builtin_role {
                    Some(role) => role,
                    None => match self.custom_roles.get(&a.role) {
                        Some(role) => &**role,
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
                let principals = self.principal_and_groups(&principal);
                let principals: Vec<&str> = principals.iter().map(|p| &**p).collect();
                if self
                    .deny_for(&principals, &lower, data_action, &scope_chain)
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
