using Datsync.Core;

namespace Datsync.Core.Tests.Scopes;

public class ScopePolicyTests
{
    [Fact]
    public void Rules_that_do_not_read_are_refused()
    {
        var ex = Assert.Throws<ScopeException>(() => ScopePolicy.Create("[[(visible ?c ?r ?e) [?e :doc/owner"));
        Assert.Contains("visibility rules", ex.Message);
    }

    [Fact]
    public void Rules_without_visible_are_refused()
    {
        var ex = Assert.Throws<ScopeException>(() => ScopePolicy.Create("[[(mine ?c ?e) [?e :doc/owner ?c]]]"));
        Assert.Contains("(visible ?client ?roles ?e)", ex.Message);
    }

    [Fact]
    public void A_visible_rule_of_another_arity_is_refused()
    {
        var ex = Assert.Throws<ScopeException>(() => ScopePolicy.Create("[[(visible ?c ?e) [?e :doc/owner ?c]]]"));
        Assert.Contains("3 arguments", ex.Message);
    }

    [Fact]
    public void A_malformed_rule_is_refused()
    {
        Assert.Throws<ScopeException>(() => ScopePolicy.Create("[[(visible ?c ?r ?e) (not)]]"));
    }

    [Fact]
    public void A_write_rule_that_does_not_parse_is_refused_by_name()
    {
        var ex = Assert.Throws<ScopeException>(() => ScopePolicy.Create("[[(visible ?c ?r ?e) [?e :doc/owner ?c]]]",
            writeRules: [("no-finds", "[:where [?e :doc/owner]]")]));
        Assert.Contains("no-finds", ex.Message);
    }

    [Fact]
    public void A_write_rule_with_other_inputs_is_refused_by_name()
    {
        var ex = Assert.Throws<ScopeException>(() => ScopePolicy.Create("[[(visible ?c ?r ?e) [?e :doc/owner ?c]]]",
            writeRules: [("two-inputs", "[:find ?e :in $ ?x :where [?e :doc/owner ?x]]")]));
        Assert.Contains("two-inputs", ex.Message);
    }

    [Fact]
    public void A_bad_allow_list_pattern_is_refused()
    {
        var ex = Assert.Throws<ScopeException>(() => ScopePolicy.Create("[[(visible ?c ?r ?e) [?e :doc/owner ?c]]]", readAttributes: ["doc/ti*"]));
        Assert.Contains("doc/ti*", ex.Message);
    }

    [Fact]
    public void A_scope_exception_is_an_argument_exception()
    {
        Assert.IsAssignableFrom<ArgumentException>(new ScopeException("x"));
    }
}
