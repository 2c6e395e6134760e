using System.Runtime.CompilerServices;

namespace Datsync.Core;

/// <summary>An index order over datoms; implemented by structs so the sorted set is specialised per index.</summary>
internal interface IDatomOrder
{
    static abstract int Compare(Datom x, Datom y);
}

internal struct EavtOrder : IDatomOrder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(Datom x, Datom y)
    {
        if (x.E != y.E) return x.E < y.E ? -1 : 1;
        if (x.A != y.A) return x.A < y.A ? -1 : 1;
        return Encoded.Compare(x.N, x.O, y.N, y.O);
    }
}

internal struct AevtOrder : IDatomOrder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(Datom x, Datom y)
    {
        if (x.A != y.A) return x.A < y.A ? -1 : 1;
        if (x.E != y.E) return x.E < y.E ? -1 : 1;
        return Encoded.Compare(x.N, x.O, y.N, y.O);
    }
}

internal struct AvetOrder : IDatomOrder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(Datom x, Datom y)
    {
        if (x.A != y.A) return x.A < y.A ? -1 : 1;
        var c = Encoded.Compare(x.N, x.O, y.N, y.O);
        if (c != 0) return c;
        return x.E.CompareTo(y.E);
    }
}

internal struct VaetOrder : IDatomOrder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(Datom x, Datom y)
    {
        var c = Encoded.Compare(x.N, x.O, y.N, y.O);
        if (c != 0) return c;
        if (x.A != y.A) return x.A < y.A ? -1 : 1;
        return x.E.CompareTo(y.E);
    }
}
