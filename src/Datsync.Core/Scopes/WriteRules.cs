namespace Datsync.Core;

/// <summary>A refused write: the rule it broke, the first datom that broke it (null when a custom rule's tuples name no
/// datom of the transaction), and the message a <c>:datsync.error/forbidden</c> rejection carries.</summary>
internal sealed record ScopeViolation(string Rule, Datom? Datom, string Message)
{
    public TxRejectedException ToException() => new(ScopeErrors.Forbidden, Message);
}

/// <summary>
/// The transactor's check of a client's transaction against its scope, on the transaction's report. Pure.
/// </summary>
/// <remarks>
/// The default rules, for each datom in order (the client writes only what it sees, on both sides of the write):
/// <list type="bullet">
/// <item><c>schema</c>: a datom of a schema attribute, or of an attribute entity, needs a role of
/// <see cref="ScopePolicy.SchemaWriters"/> (and then passes the other default rules).</item>
/// <item><c>attribute</c>: the attribute is allowed for the client.</item>
/// <item><c>entity</c>: a retraction's entity was visible before the transaction; an assertion's entity was visible
/// before it, or is <b>a new entity this transaction creates, which must be visible after it</b> (so a client may
/// create a document it owns, not one it cannot see, and may not take over an entity it could not see by asserting the
/// datom that would make it visible).</item>
/// <item><c>ref</c>: an asserted reference's value entity follows the same rule (visible before, or new and visible
/// after; an ident entity always passes), so no assertion names an entity the client cannot see. A retraction's value
/// is not checked: removing a link discloses nothing, and a new value of a cardinality-one reference retracts the old
/// one whatever it was.</item>
/// <item>Retracting an entity the client sees also retracts the references to it from entities it does not see; those
/// retractions pass <c>entity</c> (their value is an entity the client saw and that has no datom left).</item>
/// </list>
/// The datoms of the transaction entity itself (<c>:db/txInstant</c>, tx metadata) pass <c>entity</c>. Custom rules
/// (<see cref="WriteRule"/>) are checked after the default ones; the first datom of the transaction that breaks any rule
/// names the refusal — assertions before retractions, so that a new value is named rather than the retraction of the old
/// one it implies; for one datom, default rules before custom ones, custom ones in order.
/// </remarks>
internal static class WriteRules
{
    public const string Schema = "schema", Attribute = "attribute", Entity = "entity", Ref = "ref";

    /// <summary>Null when <paramref name="identity"/> may write the transaction of <paramref name="report"/>, else the
    /// first violation. <paramref name="before"/>: the client's scope on the report's value before, when at hand.</summary>
    public static ScopeViolation? Check(ScopePolicy policy, ClientIdentity identity, TxReport report, ScopeState? before = null)
    {
        var dbBefore = report.DbBefore;
        var dbAfter = report.DbAfter;
        var s0 = before is not null && before.T == dbBefore.BasisT && before.Identity.Equals(identity) && ReferenceEquals(before.Policy, policy)
            ? before : ScopeState.Of(policy, identity, dbBefore);
        var s1 = ScopeState.Of(policy, identity, dbAfter);
        var mayWriteSchema = policy.MayWriteSchema(identity);
        bool IsNew(long e) => e >= EntityIds.FirstUser && e < EntityIds.TxBase && e > dbBefore.MaxEntityId;
        bool Seen0(long e, bool asRef) => s0.Entities.Contains(e) || asRef && dbBefore.Ident(e) is not null;
        bool Seen1(long e, bool asRef) => s1.Entities.Contains(e) || asRef && dbAfter.Ident(e) is not null;
        bool Gone(long e) => !dbAfter.Datoms(IndexType.Eavt, e).Any();
        bool MayName(long e, bool asRef) => Seen0(e, asRef) || IsNew(e) && Seen1(e, asRef);

        string? Default(Datom d)
        {
            var isSchema = SchemaRules.IsSchemaAttr(d.A) || IsAttribute(dbBefore, d.E) || IsAttribute(dbAfter, d.E);
            if (isSchema) return mayWriteSchema ? null : Schema;
            if (d.E == report.TxId) return d.A == BuiltIns.TxInstantId || s1.Attributes.Contains(d.A) ? null : Attribute;
            if (!(d.Added ? s1 : s0).Attributes.Contains(d.A)) return Attribute;
            var isRef = dbAfter.Schema[d.A] is { IsRef: true };
            if (d.Added)
            {
                if (!MayName(d.E, asRef: false)) return Entity;
                if (isRef && !MayName((long)d.V, asRef: true)) return Ref;
            }
            else if (!Seen0(d.E, asRef: false) && !(isRef && Seen0((long)d.V, asRef: false) && Gone((long)d.V))) return Entity;
            return null;
        }

        var custom = policy.CustomWriteRules.Select(r => (r.Name, Tuples: Run(r, policy, identity, report))).ToList();
        // the assertions the client wrote are named before the retractions they imply (a new value's old one)
        foreach (var d in report.TxData.Where(d => d.Added).Concat(report.TxData.Where(d => !d.Added)))
        {
            if (Default(d) is { } rule) return Violation(rule, d, dbAfter);
            foreach (var (name, tuples) in custom)
                if (tuples.Any(tu => NamesDatom(tu, d, dbAfter))) return Violation(name, d, dbAfter);
        }
        foreach (var (name, tuples) in custom)
            if (tuples.Count > 0)
                return new ScopeViolation(name, null, $"The transaction breaks write rule {name}: {EdnPrinter.Print(tuples[0])}");
        return null;
    }

    /// <summary>Throws the <c>:datsync.error/forbidden</c> rejection of <see cref="Check"/>'s violation, if any.</summary>
    public static void Enforce(ScopePolicy policy, ClientIdentity identity, TxReport report, ScopeState? before = null)
    {
        if (Check(policy, identity, report, before) is { } v) throw v.ToException();
    }

    /// <summary>A datom as <c>[:db/add e :attr v]</c>, the attribute by its ident.</summary>
    public static string Describe(Datom d, Db db) =>
        $"[{(d.Added ? ":db/add" : ":db/retract")} {d.E} {(db.Ident(d.A) is { } k ? EdnPrinter.Print(k) : d.A.ToString())} {EdnPrinter.Print(d.V)}]";

    private static ScopeViolation Violation(string rule, Datom d, Db db) =>
        new(rule, d, $"{Describe(d, db)} breaks write rule {rule}");

    private static bool IsAttribute(Db db, long e) => e <= int.MaxValue && db.Schema[(int)e] is not null;

    private static List<IReadOnlyList<object?>> Run(WriteRule rule, ScopePolicy policy, ClientIdentity identity, TxReport report)
    {
        var tx = report.TxData.Select(d => (object?)new object?[] { d.E, report.DbAfter.Ident(d.A), d.V, d.Added }).ToList();
        object? result;
        try { result = report.DbAfter.Q(rule.Form, report.DbBefore, report.DbAfter, tx, identity.ClientId, identity.RolesInput(), policy.Rules); }
        catch (QueryException e) { throw new ScopeException($"Write rule {rule.Name} fails: {e.Message}", e); }
        return ((IEnumerable<object?>?)result ?? []).OfType<IReadOnlyList<object?>>().ToList();
    }

    /// <summary>True when a tuple's first four elements are the datom <paramref name="d"/>.</summary>
    private static bool NamesDatom(IReadOnlyList<object?> tuple, Datom d, Db db) =>
        tuple.Count >= 4 && tuple[0] is long e && e == d.E && Equals(tuple[1], db.Ident(d.A))
        && QueryBuiltIns.ValueEquals(tuple[2], d.V) && tuple[3] is bool added && added == d.Added;
}
