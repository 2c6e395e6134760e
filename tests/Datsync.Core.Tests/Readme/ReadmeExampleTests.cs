using Datsync.Core;

namespace Datsync.Core.Tests.Readme;

/// <summary>The README's "Datsync.Core in five minutes" example, kept working.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void The_readme_example_does_what_it_says()
    {
        var db = Db.Empty.Transact("""
            [{:db/ident :person/email :db/valueType :db.type/string :db/cardinality :db.cardinality/one
              :db/unique :db.unique/identity}
             {:db/ident :person/name :db/valueType :db.type/string :db/cardinality :db.cardinality/one}
             {:db/ident :person/friends :db/valueType :db.type/ref :db/cardinality :db.cardinality/many}]
            """).DbAfter;
        var report = db.Transact("""
            [{:db/id "ivan" :person/email "ivan@example.org" :person/name "Ivan" :person/friends ["anna"]}
             {:db/id "anna" :person/email "anna@example.org" :person/name "Anna"}]
            """);
        long ivan = report.Tempids["ivan"];
        var after = report.DbAfter;
        Assert.Equal("Ivan", after.Entity(ivan)![":person/name"]);
        var pulled = after.Pull(EdnReader.Read("[:person/name {:person/friends [:person/name]}]")!, ivan)!;
        Assert.Equal("Ivan", pulled[Keyword.Intern(":person/name")]);
        var friends = (IEnumerable<object?>)pulled[Keyword.Intern(":person/friends")]!;
        Assert.Equal("Anna", ((IReadOnlyDictionary<object, object?>)friends.Single()!)[Keyword.Intern(":person/name")]);
        var anna = after.Datoms(IndexType.Avet, Keyword.Intern(":person/email"), "anna@example.org").Single();
        Assert.Equal(report.Tempids["anna"], anna.E);
        Assert.Empty(db.Datoms(IndexType.Avet, Keyword.Intern(":person/email"))); // the value before is unchanged
    }
}
