using System.Text.Json;

namespace Datsync.Benchmarks;

/// <summary>One person: the five attributes of the 100k-datom workload.</summary>
internal sealed record Person(long Id, string Name, string LastName, long Age, long Salary);

/// <summary>A node of the wide tree: a person with distinct aliases and the tree ids of its children.</summary>
internal sealed record WideNode(Person Person, string[] Aliases, long[] Follows);

/// <summary>
/// The benchmark data, generated deterministically from a seed and written once to a JSON file that the DataScript
/// side reads, so both engines work on identical data.
/// </summary>
internal sealed class Workload
{
    public const int DefaultSeed = 42;
    public const int PeopleCount = 20_000;
    public const int WideDepth = 6;   // 1 + 5 + ... + 5^6 = 19,531 nodes
    public const int WideWidth = 5;
    public const int MemoryEntities = 200_000; // x 5 attributes = 1M datoms

    private static readonly string[] FirstNames = ["Anna", "Boris", "Clara", "Dmitri", "Elena", "Fyodor", "Galina", "Igor"];
    private static readonly string[] LastNames = ["Orlov", "Volkova", "Smirnov", "Lebedeva", "Kozlov", "Novikova"];
    private static readonly string[] AliasPool =
        ["Ace", "Bishop", "Comet", "Dagger", "Echo", "Falcon", "Ghost", "Hawk", "Iris", "Jester", "Kestrel"];

    public required int Seed { get; init; }

    /// <summary>The 20k people, :id 1..20000, in the order every case walks them.</summary>
    public required Person[] People { get; init; }

    /// <summary>A permutation of indexes into <see cref="People"/>: the order retract-5 retracts them.</summary>
    public required int[] RetractOrder { get; init; }

    /// <summary>The wide tree, root first (tree id 1; the children of id i are i*width .. i*width+width-1).</summary>
    public required WideNode[] Wide { get; init; }

    public long AgeSum => People.Sum(p => p.Age);
    public long WideAgeSum => Wide.Sum(n => n.Person.Age);
    public long WideAliasCount => Wide.Sum(n => (long)n.Aliases.Length);

    /// <summary>The 1M-datom memory workload: entity j (0-based) has :id j+1 and the other values of person j mod 20k.</summary>
    public Person MemoryPerson(int j)
    {
        var p = People[j % People.Length];
        return p with { Id = j + 1 };
    }

    public static Workload Generate(int seed)
    {
        var rnd = new Random(seed);
        Person NewPerson(long id) => new(id, FirstNames[rnd.Next(FirstNames.Length)], LastNames[rnd.Next(LastNames.Length)],
            rnd.Next(100), rnd.Next(100_000));

        var people = new Person[PeopleCount];
        for (var i = 0; i < people.Length; i++) people[i] = NewPerson(i + 1);

        var order = Enumerable.Range(0, PeopleCount).ToArray();
        rnd.Shuffle(order);

        var wide = new List<WideNode>();
        var level = new List<long> { 1 };
        for (var depth = 0; depth <= WideDepth; depth++)
        {
            var next = new List<long>();
            foreach (var id in level)
            {
                var children = depth < WideDepth
                    ? Enumerable.Range(0, WideWidth).Select(k => id * WideWidth + k).ToArray()
                    : [];
                next.AddRange(children);
                var pool = AliasPool.ToArray();
                rnd.Shuffle(pool);
                wide.Add(new WideNode(NewPerson(id), pool[..rnd.Next(5)], children));
            }
            level = next;
        }
        return new Workload { Seed = seed, People = people, RetractOrder = order, Wide = [.. wide] };
    }

    /// <summary>Writes the workload as JSON (columns for the people, one object per wide node).</summary>
    public void WriteJson(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream);
        w.WriteStartObject();
        w.WriteNumber("seed", Seed);
        w.WriteNumber("memoryEntities", MemoryEntities);
        w.WriteStartObject("people");
        WriteColumn(w, "id", People, p => w.WriteNumberValue(p.Id));
        WriteColumn(w, "name", People, p => w.WriteStringValue(p.Name));
        WriteColumn(w, "lastName", People, p => w.WriteStringValue(p.LastName));
        WriteColumn(w, "age", People, p => w.WriteNumberValue(p.Age));
        WriteColumn(w, "salary", People, p => w.WriteNumberValue(p.Salary));
        w.WriteEndObject();
        w.WriteStartArray("retractOrder");
        foreach (var i in RetractOrder) w.WriteNumberValue(i);
        w.WriteEndArray();
        w.WriteStartArray("wide");
        foreach (var n in Wide)
        {
            w.WriteStartObject();
            w.WriteNumber("id", n.Person.Id);
            w.WriteString("name", n.Person.Name);
            w.WriteString("lastName", n.Person.LastName);
            w.WriteNumber("age", n.Person.Age);
            w.WriteNumber("salary", n.Person.Salary);
            w.WriteStartArray("alias");
            foreach (var a in n.Aliases) w.WriteStringValue(a);
            w.WriteEndArray();
            w.WriteStartArray("follows");
            foreach (var f in n.Follows) w.WriteNumberValue(f);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteColumn(Utf8JsonWriter w, string name, Person[] people, Action<Person> write)
    {
        w.WriteStartArray(name);
        foreach (var p in people) write(p);
        w.WriteEndArray();
    }
}
