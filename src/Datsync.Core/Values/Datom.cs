using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>
/// One fact: entity, attribute, value, transaction, and whether it was asserted or retracted.
/// Immutable and shared between every index and every <see cref="Db"/> that holds it.
/// </summary>
public sealed class Datom : IEquatable<Datom>
{
    /// <summary>Entity id.</summary>
    public readonly long E;
    internal readonly long N;
    internal readonly object? O;
    /// <summary>Attribute entity id.</summary>
    public readonly int A;
    // t of the transaction; negative (~t) for a retraction.
    private readonly int _t;

    internal Datom(long e, int a, long n, object? o, long t, bool added)
    {
        E = e;
        A = a;
        N = n;
        O = o;
        _t = added ? (int)t : ~(int)t;
    }

    /// <summary>A datom for a value that already has the attribute's .NET type.</summary>
    public static Datom Create(long e, int a, object value, long t = 0, bool added = true)
    {
        Encoded.Encode(value, out var n, out var o);
        return new Datom(e, a, n, o, t, added);
    }

    /// <summary>The value, as a .NET object (long for refs and longs).</summary>
    public object V => Encoded.Decode(N, O);

    /// <summary>Basis t of the transaction that asserted or retracted this datom.</summary>
    public long T => _t >= 0 ? _t : ~_t;

    /// <summary>Transaction entity id.</summary>
    public long Tx => EntityIds.TxId(T);

    /// <summary>True for an assertion, false for a retraction.</summary>
    public bool Added => _t >= 0;

    internal Datom WithAdded(bool added, long t) => new(E, A, N, O, t, added);

    /// <summary>Same entity, attribute and value (the index identity; t and op are not compared).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool SameFact(Datom other) =>
        E == other.E && A == other.A && Encoded.ValueEquals(N, O, other.N, other.O);

    /// <summary>Same fact (<see cref="SameFact"/>) and same transaction and operation.</summary>
    public bool Equals(Datom? other) => other is not null && SameFact(other) && _t == other._t;
    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Datom d && Equals(d);
    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(E, A, Encoded.ValueHash(N, O), _t);

    /// <summary>The datom as <c>#datom [e a v tx added]</c>.</summary>
    public override string ToString() =>
        $"#datom [{E} {A} {EdnPrinter.Print(V)} {Tx} {(Added ? "true" : "false")}]";
}
