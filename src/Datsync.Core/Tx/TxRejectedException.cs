namespace Datsync.Core;

/// <summary>The <c>:db.error/...</c> categories a rejected transaction reports.</summary>
public static class TxErrors
{
    public static readonly Keyword NotAnEntity = Keyword.Intern("db.error/not-an-entity");
    public static readonly Keyword NotAnAttribute = Keyword.Intern("db.error/not-an-attribute");
    public static readonly Keyword WrongType = Keyword.Intern("db.error/wrong-type-for-attribute");
    public static readonly Keyword TempidNotAnEntity = Keyword.Intern("db.error/tempid-not-an-entity");
    public static readonly Keyword UniqueConflict = Keyword.Intern("db.error/unique-conflict");
    public static readonly Keyword DatomsConflict = Keyword.Intern("db.error/datoms-conflict");
    public static readonly Keyword CasFailed = Keyword.Intern("db.error/cas-failed");
    public static readonly Keyword InvalidNestedEntity = Keyword.Intern("db.error/invalid-nested-entity");
    public static readonly Keyword NilValue = Keyword.Intern("db.error/nil-value");
    public static readonly Keyword IncompatibleSchemaChange = Keyword.Intern("db.error/incompatible-schema-change");
    public static readonly Keyword InvalidTxData = Keyword.Intern("db.error/invalid-tx-data");
}

/// <summary>A rejected transaction: the category says what kind of problem, the message names the offending form.
/// The database is unchanged.</summary>
public sealed class TxRejectedException : Exception
{
    public Keyword Category { get; }

    public TxRejectedException(Keyword category, string message) : base(message) => Category = category;

    /// <summary><c>category: message</c>, the one-line form used by the CLI and the protocol.</summary>
    public string Describe() => $"{Category}: {Message}";

    public override string ToString() => Describe();
}
