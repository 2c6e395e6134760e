using System.Collections.Concurrent;
using static Datsync.Core.Tests.Query.People;

namespace Datsync.Core.Tests.Query;

/// <summary>The entity API, specified on <see cref="People"/>.</summary>
public class EntityTests
{
    private static readonly People P = People.Sample;

    private static Entity Ent(long id) => P.Db.Entity(id)!;

    private static IEnumerable<object?> Names(object? entities) =>
        ((IEnumerable<object>)entities!).Select(e => ((Entity)e)[Name]).Order();

    [Fact]
    public void An_eid_that_names_no_entity_gives_null()
    {
        Assert.Null(P.Db.Entity(987654321L));
        Assert.Null(P.Db.Entity(V(Name, "Nobody")));
        Assert.Null(P.Db.Entity(K(":no/ident")));
    }

    [Fact]
    public void An_entity_may_be_named_by_id_ident_or_lookup_ref()
    {
        Assert.Equal(P.Alice, P.Db.Entity(V(Name, "Alice"))!.Id);
        Assert.Equal(P.Sweden, P.Db.Entity(K(":country/se"))!.Id);
        Assert.Equal(P.Bob, P.Db.Entity(P.Bob)!.Id);
        Assert.Same(P.Db, P.Db.Entity(P.Bob)!.Db);
    }

    [Fact]
    public void A_cardinality_one_attribute_gives_its_value()
    {
        var alice = Ent(P.Alice);
        Assert.Equal("Alice", alice[Name]);
        Assert.Equal(30L, alice[":person/age"]);
        Assert.Equal("Alice", alice["person/name"]);
    }

    [Fact]
    public void A_cardinality_many_attribute_gives_a_set_of_values()
    {
        var akas = Assert.IsAssignableFrom<IReadOnlySet<object>>(Ent(P.Alice)[Aka]);
        Assert.True(akas.SetEquals(["Al", "Ali"]));
    }

    [Fact]
    public void Db_id_gives_the_entity_id()
    {
        Assert.Equal(P.Carol, Ent(P.Carol)[DbId]);
    }

    [Fact]
    public void A_missing_or_unknown_attribute_gives_null()
    {
        var dave = Ent(P.Dave);
        Assert.Null(dave[Age]);
        Assert.Null(dave[Aka]);
        Assert.Null(dave[":no/such"]);
        Assert.Null(dave[":person/_parent"]);
        Assert.Null(dave[":person/_name"]); // the reverse of a non-ref attribute
    }

    [Fact]
    public void A_ref_gives_an_entity_to_navigate_through()
    {
        var alice = Ent(P.Alice);
        var bob = Assert.IsType<Entity>(alice[Spouse]);
        Assert.Equal("Bob", bob[Name]);
        Assert.Equal(alice, bob[Spouse]);
        var heidi = (Entity)((Entity)((Entity)Ent(P.Eve)[Parent]!)[Parent]!)[Parent]!;
        Assert.Equal("Heidi", heidi[Name]);
        Assert.Null(heidi[Parent]);
    }

    [Fact]
    public void A_ref_to_an_ident_entity_gives_an_entity_that_has_the_ident()
    {
        var country = Assert.IsType<Entity>(Ent(P.Alice)[Country]);
        Assert.Equal(P.Sweden, country.Id);
        Assert.Equal(K(":country/se"), country[DbIdent]);
    }

    [Fact]
    public void A_cardinality_many_ref_gives_a_set_of_entities()
    {
        Assert.Equal(["Bob", "Carol"], Names(Ent(P.Alice)[Friend]));
    }

    [Fact]
    public void A_reverse_ref_gives_the_set_of_entities_that_point_here()
    {
        var friendOf = Assert.IsAssignableFrom<IReadOnlySet<object>>(Ent(P.Dave)[":person/_friend"]);
        Assert.True(friendOf.SetEquals([Ent(P.Bob), Ent(P.Carol)]));
        Assert.Equal(["Eve"], Names(Ent(P.Frank)[":person/_parent"]));
    }

    [Fact]
    public void The_reverse_of_a_component_attribute_gives_the_single_owner()
    {
        Assert.Equal(Ent(P.Alice), Ent(P.AliceAddress)[":person/_address"]);
        Assert.Equal(Ent(P.Alice), Ent(P.AlicePhone1)[":person/_phone"]);
        Assert.Equal(P.AliceAddress, ((Entity)Ent(P.AliceGeo)[":address/_geo"]!).Id);
    }

    [Fact]
    public void Components_are_navigated_like_any_ref()
    {
        var address = Assert.IsType<Entity>(Ent(P.Alice)[Address]);
        Assert.Equal("Springfield", address[City]);
        Assert.Equal(59.5, ((Entity)address[Geo]!)[Lat]);
        var numbers = ((IReadOnlySet<object>)Ent(P.Alice)[Phone]!).Select(p => ((Entity)p)[Number]).Order();
        Assert.Equal(["555-1", "555-2"], numbers);
    }

    [Fact]
    public void Navigation_goes_forward_and_back_through_refs()
    {
        // from the geo component back up to its owner's spouse
        var geo = Ent(P.AliceGeo);
        var owner = (Entity)((Entity)geo[":address/_geo"]!)[":person/_address"]!;
        Assert.Equal("Bob", ((Entity)owner[Spouse]!)[Name]);
    }

    [Fact]
    public void Keys_are_the_attributes_the_entity_has()
    {
        var keys = Ent(P.Bob).Keys;
        Assert.True(keys.ToHashSet().SetEquals([Name, Age, Friend, Spouse]));
        Assert.Equal(keys.OrderBy(k => P.Db.Entity(k)!.Id), keys); // in attribute id order
        Assert.Equal([Name], Ent(P.Dave).Keys);
        Assert.DoesNotContain(DbId, Ent(P.Dave).Keys);
    }

    [Fact]
    public void Touch_gives_every_attribute_with_components_touched_and_other_refs_as_entities()
    {
        var touched = Ent(P.Alice).Touch();
        var expected = M(DbId, P.Alice, Name, "Alice", Aka, new HashSet<object> { "Al", "Ali" }, Age, 30L,
            Spouse, Ent(P.Bob), Country, Ent(P.Sweden), Friend, new HashSet<object> { Ent(P.Bob), Ent(P.Carol) },
            Address, M(DbId, P.AliceAddress, Street, "1 Main St", City, "Springfield", Geo, M(DbId, P.AliceGeo, Lat, 59.5)),
            Phone, new HashSet<object>
            {
                M(DbId, P.AlicePhone1, Number, "555-1", Kind, Ent(P.Mobile)),
                M(DbId, P.AlicePhone2, Number, "555-2", Kind, Ent(P.Home)),
            });
        Assert.Equal(Show(expected), Show(touched));
        Assert.IsType<Entity>(touched[Spouse]);
        Assert.IsAssignableFrom<IReadOnlyDictionary<Keyword, object?>>(touched[Address]);
    }

    [Fact]
    public void Touch_of_a_component_cycle_stops_at_an_entity_already_touched()
    {
        // a (bad but possible) component cycle: the geo entity owns the address it belongs to
        var db = P.Db.Transact([Add(P.AliceGeo, K(":address/geo"), P.AliceAddress)]).DbAfter;
        var touched = db.Entity(P.AliceAddress)!.Touch();
        var geo = (IReadOnlyDictionary<Keyword, object?>)touched[Geo]!;
        Assert.Equal(db.Entity(P.AliceAddress), geo[Geo]);
    }

    [Fact]
    public void Entities_are_equal_by_database_value_and_id()
    {
        var later = P.Db.Transact([Add(P.Dave, Age, 40L)]).DbAfter;
        Assert.Equal(Ent(P.Dave), Ent(P.Dave));
        Assert.Equal(Ent(P.Dave).GetHashCode(), Ent(P.Dave).GetHashCode());
        Assert.NotEqual(Ent(P.Dave), Ent(P.Carol));
        Assert.NotEqual(Ent(P.Dave), later.Entity(P.Dave));
    }

    [Fact]
    public void An_entity_prints_as_a_map_of_its_id()
    {
        Assert.Equal("{:db/id " + P.Dave + "}", Ent(P.Dave).ToString());
    }

    [Fact]
    public void An_entity_keeps_reading_its_own_database_value_after_later_transactions()
    {
        var dave = Ent(P.Dave);
        var later = P.Db.Transact([Add(P.Dave, Age, 40L), Add(P.Dave, Name, "David")]).DbAfter;
        Assert.Null(dave[Age]);
        Assert.Equal("Dave", dave[Name]);
        Assert.Equal("David", later.Entity(P.Dave)![Name]);
        Assert.Equal(40L, later.Entity(P.Dave)![Age]);
    }

    [Fact]
    public void A_retracted_entity_has_no_attributes_and_no_longer_appears_in_reverse_refs()
    {
        var db = P.Db.Transact([V(K(":db/retractEntity"), P.Alice)]).DbAfter;
        var alice = db.Entity(P.Alice)!;
        Assert.Empty(alice.Keys);
        Assert.Null(alice[Name]);
        Assert.Null(db.Entity(P.Carol)![":person/_friend"]);
        Assert.Null(db.Entity(P.AliceAddress)![City]); // components go with their owner
    }

    [Fact]
    public void Entities_and_pulls_see_exactly_the_datoms_of_the_indexes_in_a_large_database_after_retractions()
    {
        // given 1500 people with several friends each (a many-level index), some of whose datoms are retracted
        const int n = 1500;
        var tx = new List<object?>();
        for (var i = 0; i < n; i++)
            tx.Add(M(DbId, "p" + i, Name, "p" + i, Aka, V("x" + i, "y" + i, "z" + i), Friend, V("p" + (i * 7 % n), "p" + (i * 13 % n), "p" + ((i + 1) % n))));
        var report = Db.Empty.Transact(People.Schema()).DbAfter.Transact(tx);
        var ids = Enumerable.Range(0, n).Select(i => report.Tempids["p" + i]).ToArray();
        var retractions = new List<object?>();
        for (var i = 0; i < n; i += 3) retractions.Add(V(K(":db/retract"), ids[i], Aka, "y" + i));
        for (var i = 0; i < n; i += 5) retractions.Add(V(K(":db/retract"), ids[i], Friend, ids[(i + 1) % n]));
        for (var i = 0; i < n; i += 11) retractions.Add(V(K(":db/retractEntity"), ids[i]));
        var db = report.DbAfter.Transact(retractions).DbAfter;

        var pattern = PullPattern.Parse(V(Star(), V(K(":person/_friend"), K(":limit"), null)));
        foreach (var id in ids)
        {
            var fromIndex = db.Datoms(IndexType.Eavt, id).Select(d => (db.Schema[d.A]!.Ident, d.V)).ToList();
            var entity = db.Entity(id)!;
            var fromEntity = entity.Keys.SelectMany(k => entity[k] is IReadOnlySet<object> set
                ? set.Select(v => (k, v is Entity e ? e.Id : v))
                : [(k, entity[k] is Entity e1 ? e1.Id : entity[k]!)]).ToList();
            Assert.Equal(fromIndex.Select(x => x.ToString()).Order(), fromEntity.Select(x => x.ToString()).Order());

            var referrers = db.Datoms(IndexType.Vaet, id, Friend).Select(d => d.E).Order().ToList();
            var reverse = entity[":person/_friend"] is IReadOnlySet<object> rs ? rs.Select(e => ((Entity)e).Id).Order().ToList() : [];
            Assert.Equal(referrers, reverse);

            var pulled = db.Pull(pattern, id)!;
            Assert.Equal(fromIndex.Count(x => x.Ident == Aka), pulled.TryGetValue(Aka, out var akas) ? ((IReadOnlyList<object?>)akas!).Count : 0);
            Assert.Equal(referrers.Count, pulled.TryGetValue(K(":person/_friend"), out var rf) ? ((IReadOnlyList<object?>)rf!).Count : 0);
        }
    }

    private static Symbol Star() => new("*");

    [Fact]
    public void Entities_of_one_value_read_the_same_from_many_threads_while_transactions_derive_new_values()
    {
        // given a ring of people, each a friend of the next
        const int n = 300;
        var schema = Db.Empty.Transact(People.Schema()).DbAfter;
        var tx = new List<object?>();
        for (var i = 0; i < n; i++)
            tx.Add(M(DbId, "p" + i, Name, "p" + i, Aka, V("a" + i, "b" + i), Friend, "p" + ((i + 1) % n)));
        var report = schema.Transact(tx);
        var db = report.DbAfter;
        var ids = Enumerable.Range(0, n).Select(i => report.Tempids["p" + i]).ToArray();
        // entities shared by every thread, not yet loaded
        var shared = ids.Select(id => db.Entity(id)!).ToArray();
        var pattern = PullPattern.Parse(V(Name, Aka, M(Friend, V(Name)), K(":person/_friend")));
        var errors = new ConcurrentQueue<string>();
        using var start = new Barrier(5);

        void Check(bool condition, string what)
        {
            if (!condition) errors.Enqueue(what);
        }

        void Guarded(Action body)
        {
            try { body(); }
            catch (Exception ex) { errors.Enqueue(ex.ToString()); }
        }

        void Read(int seed)
        {
            start.SignalAndWait();
            var random = new Random(seed);
            for (var round = 0; round < 20000; round++)
            {
                var i = random.Next(n);
                var e = random.Next(2) == 0 ? shared[i] : db.Entity(ids[i])!;
                Check((string?)e[Name] == "p" + i, $"name of p{i}");
                Check(((IReadOnlySet<object>)e[Aka]!).SetEquals(["a" + i, "b" + i]), $"aka of p{i}");
                var friend = (Entity)((IReadOnlySet<object>)e[Friend]!).Single();
                Check((string?)friend[Name] == "p" + ((i + 1) % n), $"friend of p{i}");
                var friendOf = (Entity)((IReadOnlySet<object>)e[":person/_friend"]!).Single();
                Check(friendOf.Id == ids[(i + n - 1) % n], $"friend-of of p{i}");
                var pulled = db.Pull(pattern, ids[i])!;
                Check((string?)pulled[Name] == "p" + i, $"pulled name of p{i}");
                var pulledFriend = (IReadOnlyDictionary<object, object?>)((IReadOnlyList<object?>)pulled[Friend]!)[0]!;
                Check((string?)pulledFriend[Name] == "p" + ((i + 1) % n), $"pulled friend of p{i}");
            }
        }

        void Write()
        {
            start.SignalAndWait();
            var current = db;
            for (var k = 0; k < 150; k++)
            {
                var i = k % n;
                current = current.Transact([Add(ids[i], Name, "renamed" + k), V(K(":db/retract"), ids[i], Friend, ids[(i + 1) % n])]).DbAfter;
                Check((string?)current.Entity(ids[i])![Name] == "renamed" + k, $"new value after tx {k}");
                Check(current.Entity(ids[i])![Friend] is null, $"retracted friend after tx {k}");
            }
        }

        var threads = new List<Thread>();
        for (var r = 0; r < 4; r++)
        {
            var seed = r;
            threads.Add(new Thread(() => Guarded(() => Read(seed))));
        }
        threads.Add(new Thread(() => Guarded(Write)));
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();

        Assert.Empty(errors);
        // the original value never changed
        Assert.Equal("p0", db.Entity(ids[0])![Name]);
    }
}
