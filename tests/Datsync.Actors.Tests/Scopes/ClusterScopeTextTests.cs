using Akka.Configuration;
using Datsync.Actors.Server;
using Datsync.Core;

namespace Datsync.Actors.Tests.Scopes;

/// <summary>Scopes as cluster nodes send them to each other (their canonical HOCON), and the versions that order a
/// cluster's replacements.</summary>
public class ClusterScopeTextTests
{
    private const string Full = """"
        datsync.server.scopes {
          rules = """[[(me ?client ?u) [?u :user/id ?client]]
                      [(visible ?client ?roles ?u) (me ?client ?u)]
                      [(visible ?client ?roles ?d) (has-role ?roles "admin") [?d :doc/key]]]"""
          attributes = [":user/id", "doc/*"]
          role-attributes { admin = [":secret/*"] }
          schema-writers = [admin]
          write-rules { "no-\"x\"-titles" = "[:find ?e ?a ?v ?added :where [?e :doc/title \"x\"] [(ground :doc/title) ?a] [(ground \"x\") ?v] [(ground true) ?added]]" }
          roles { "alice@x.org" = [admin, "reader"], bob = [] }
          tokens-never-travel = "secret"
        }
        datsync.storage.postgres.password = "not a scope"
        """";

    [Fact]
    public void The_text_of_scopes_reads_back_as_the_same_scopes_and_holds_nothing_else_of_the_configuration()
    {
        var scopes = ServerScopes.From(ConfigurationFactory.ParseString(Full))!;
        Assert.Null(ClusterScopeText.Read(scopes.Hocon, out var back));
        Assert.Equal(scopes.Hocon, back!.Hocon);
        Assert.Equal(scopes.Policy.VisibilityRules, back.Policy.VisibilityRules);
        Assert.Equal(scopes.Policy.CustomWriteRules.Count, back.Policy.CustomWriteRules.Count);
        Assert.Single(back.Policy.CustomWriteRules);
        Assert.Equal(["admin", "reader"], back.IdentityOf("alice@x.org").Roles.Order(StringComparer.Ordinal));
        Assert.Empty(back.IdentityOf("bob").Roles);
        Assert.Equal(scopes.Policy.SchemaWriters.Order(), back.Policy.SchemaWriters.Order());
        Assert.DoesNotContain("not a scope", scopes.Hocon);
        Assert.DoesNotContain("tokens-never-travel", scopes.Hocon);
        // a change anywhere is a change of the text
        var other = ServerScopes.From(ConfigurationFactory.ParseString(Full + "\ndatsync.server.scopes.roles.bob = [admin]"))!;
        Assert.NotEqual(scopes.Hocon, other.Hocon);
    }

    [Fact]
    public void Text_that_is_not_scopes_is_refused_with_a_reason()
    {
        Assert.Contains("rules is empty", ClusterScopeText.Read("datsync.server.scopes.roles.bob = [admin]", out var none));
        Assert.Null(none);
        Assert.NotNull(ClusterScopeText.Read("datsync.server.scopes.rules = \"[[(visible ?c ?r ?e) [?e :a\"", out var bad));
        Assert.Null(bad);
        Assert.NotNull(ClusterScopeText.Read("datsync.server.scopes { rules = ", out _));
    }

    [Fact]
    public void A_replacement_with_an_older_version_does_not_undo_a_newer_one()
    {
        var first = ServerScopes.From(ConfigurationFactory.ParseString(Full))!;
        var second = ServerScopes.From(ConfigurationFactory.ParseString(Full + "\ndatsync.server.scopes.roles.bob = [admin]"))!;
        var inForce = new ScopesInForce(first);
        Assert.Equal(0, inForce.Version);
        Assert.True(inForce.Adopt(second, 20));
        Assert.False(inForce.Adopt(first, 10));
        Assert.Same(second, inForce.Current);
        Assert.Equal((second, 20L), inForce.Now);
        inForce.Replace(first); // a server's own replacement keeps the version it has
        Assert.Equal((first, 20L), inForce.Now);
    }
}
