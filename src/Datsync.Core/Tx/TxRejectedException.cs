namespace Datsync.Core;

/// <summary>The <c>:db.error/...</c> categories a rejected transaction reports.</summary>
public static class TxErrors
{
    /// <summary>An entity reference (id, lookup ref or ident) that names no entity.</summary>
    public static readonly Keyword NotAnEntity = Keyword.Intern("db.error/not-an-entity");
    /// <summary>An attribute that is not installed.</summary>
    public static readonly Keyword NotAnAttribute = Keyword.Intern("db.error/not-an-attribute");
    /// <summary>A value that does not fit its attribute's value type.</summary>
    public static readonly Keyword WrongType = Keyword.Intern("db.error/wrong-type-for-attribute");
    /// <summary>A tempid that is never the entity of an assertion, or one where a tempid cannot stand (an old value, a
    /// retraction).</summary>
    public static readonly Keyword TempidNotAnEntity = Keyword.Intern("db.error/tempid-not-an-entity");
    /// <summary>A unique value already held by another entity.</summary>
    public static readonly Keyword UniqueConflict = Keyword.Intern("db.error/unique-conflict");
    /// <summary>A fact both asserted and retracted, or two values of a cardinality-one attribute of an entity, in one
    /// transaction.</summary>
    public static readonly Keyword DatomsConflict = Keyword.Intern("db.error/datoms-conflict");
    /// <summary>A <c>:db/cas</c> whose expected value is not the current one.</summary>
    public static readonly Keyword CasFailed = Keyword.Intern("db.error/cas-failed");
    /// <summary>A nested entity map under a non-component attribute without a unique identity attribute of its own.</summary>
    public static readonly Keyword InvalidNestedEntity = Keyword.Intern("db.error/invalid-nested-entity");
    /// <summary>A nil value, or a lookup ref with a nil value.</summary>
    public static readonly Keyword NilValue = Keyword.Intern("db.error/nil-value");
    /// <summary>A schema change that the existing data or the built-in schema does not allow.</summary>
    public static readonly Keyword IncompatibleSchemaChange = Keyword.Intern("db.error/incompatible-schema-change");
    /// <summary>Transaction data of the wrong shape.</summary>
    public static readonly Keyword InvalidTxData = Keyword.Intern("db.error/invalid-tx-data");
}

/// <summary>A rejected transaction: the category says what kind of problem, the message names the offending form.
/// The database is unchanged.</summary>
public sealed class TxRejectedException : Exception
{
    /// <summary>The <c>:db.error/...</c> category, one of <see cref="TxErrors"/>.</summary>
    public Keyword Category { get; }

    /// <summary>A rejection of the given category.</summary>
    /// <param name="category">The <c>:db.error/...</c> category, one of <see cref="TxErrors"/>.</param>
    /// <param name="message">What is wrong, naming the offending form.</param>
    public TxRejectedException(Keyword category, string message) : base(message) => Category = category;

    /// <summary><c>category: message</c>, the one-line form used by the CLI and the protocol.</summary>
    public string Describe() => $"{Category}: {Message}";

    /// <summary>The same as <see cref="Describe"/>.</summary>
    public override string ToString() => Describe();
}
