using Akka.Configuration;
using Datsync.Actors.Protocol;
using Datsync.Actors.Server;

namespace Datsync.Actors.Tests.Server;

/// <summary>Token hashes and the client list read from HOCON, without actors.</summary>
public class TokenHashTests
{
    private static Connect Hello(string clientId, string? token) => new(clientId, null, 0, token);

    [Fact]
    public void A_hash_verifies_its_token_and_no_other()
    {
        var hash = TokenHash.Create("correct horse");
        Assert.True(hash.Verify("correct horse"));
        Assert.False(hash.Verify("correct horse "));
        Assert.False(hash.Verify("Correct horse"));
        Assert.False(hash.Verify(""));
    }

    [Fact]
    public void The_stored_form_names_scheme_iterations_salt_and_hash_and_reads_back()
    {
        var hash = TokenHash.Create("t0k3n");
        var text = hash.ToString();
        var parts = text.Split('$');
        Assert.Equal(["pbkdf2-sha256", TokenHash.DefaultIterations.ToString(System.Globalization.CultureInfo.InvariantCulture)], parts[..2]);
        Assert.True(Convert.FromBase64String(parts[2]).Length >= 16);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
        var read = TokenHash.Parse(text);
        Assert.True(read.Verify("t0k3n"));
        Assert.False(read.Verify("t0k3m"));
        Assert.True(read.SameAs(hash));
        Assert.Equal(text, read.ToString());
    }

    [Fact]
    public void Two_hashes_of_one_token_differ_by_their_salt()
    {
        var a = TokenHash.Create("same");
        var b = TokenHash.Create("same");
        Assert.NotEqual(a.ToString(), b.ToString());
        Assert.False(a.SameAs(b));
        Assert.True(b.Verify("same"));
    }

    [Fact]
    public void A_tampered_hash_refuses_the_token()
    {
        var parts = TokenHash.Create("secret").ToString().Split('$');
        var hash = Convert.FromBase64String(parts[3]);
        hash[0] ^= 1;
        var flipped = string.Join('$', parts[0], parts[1], parts[2], Convert.ToBase64String(hash));
        Assert.False(TokenHash.Parse(flipped).Verify("secret"));

        var salt = Convert.FromBase64String(parts[2]);
        salt[^1] ^= 0x80;
        Assert.False(TokenHash.Parse(string.Join('$', parts[0], parts[1], Convert.ToBase64String(salt), parts[3])).Verify("secret"));

        var otherCount = string.Join('$', parts[0], (TokenHash.DefaultIterations + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), parts[2], parts[3]);
        Assert.False(TokenHash.Parse(otherCount).Verify("secret"));
    }

    [Theory]
    [InlineData("pbkdf2-sha256$100000$AAAA")]                                   // three parts
    [InlineData("pbkdf2-sha256$lots$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("pbkdf2-sha256$10$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")] // too few iterations
    [InlineData("pbkdf2-sha256$100000$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]                 // short salt
    [InlineData("pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAA")]                                       // short hash
    [InlineData("pbkdf2-sha256$100000$not base64!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")]
    [InlineData("s3cret")]
    public void Malformed_or_plain_forms_do_not_parse(string text)
    {
        Assert.False(TokenHash.TryParse(text, out var hash, out var error));
        Assert.Null(hash);
        Assert.False(string.IsNullOrEmpty(error));
        Assert.Throws<FormatException>(() => TokenHash.Parse(text));
    }

    [Fact]
    public void A_new_token_is_256_random_bits_in_base64url()
    {
        var a = TokenHash.NewToken();
        var b = TokenHash.NewToken();
        Assert.NotEqual(a, b);
        Assert.Equal(43, a.Length);
        Assert.All(a, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', $"'{c}' in {a}"));
        var bytes = Convert.FromBase64String(a.Replace('-', '+').Replace('_', '/') + "=");
        Assert.Equal(32, bytes.Length);
    }

    [Fact]
    public void The_config_line_reads_back_as_the_client_list()
    {
        var line = TokenHash.ConfigLine("replica.1", "tok\"en");
        Assert.StartsWith("\"replica.1\" = \"pbkdf2-sha256$", line);
        var access = ClientAccess.From(ConfigurationFactory.ParseString($"datsync.server.clients {{\n{line}\n}}"));
        Assert.Equal(["replica.1"], access.ClientIds);
        Assert.Null(access.Refusal(Hello("replica.1", "tok\"en")));
        Assert.Contains("wrong token", access.Refusal(Hello("replica.1", "token")));
    }

    [Fact]
    public void A_plain_token_in_the_config_is_refused_with_how_to_convert_it()
    {
        var config = ConfigurationFactory.ParseString($$"""
            datsync.server.clients { {{TokenHash.ConfigLine("good", "x")}}, "web-1" = "s3cret-value" }
            """);
        var e = Assert.Throws<ConfigurationException>(() => ClientAccess.From(config));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("\"web-1\"", e.Message);
        Assert.Contains("plain token", e.Message);
        Assert.Contains("datsync token hash TOKEN --client-id web-1", e.Message);
        Assert.DoesNotContain("s3cret-value", e.Message);
    }

    [Fact]
    public void A_malformed_hash_in_the_config_is_refused_naming_the_client()
    {
        var config = ConfigurationFactory.ParseString("""datsync.server.clients { "web-2" = "pbkdf2-sha256$100000$AAAA$AAAA" }""");
        var e = Assert.Throws<ConfigurationException>(() => ClientAccess.From(config));
        Assert.Contains("\"web-2\"", e.Message);
        Assert.Contains("datsync token hash", e.Message);
    }

    [Fact]
    public void Access_admits_the_right_token_and_refuses_a_wrong_one_a_missing_one_and_an_unknown_client()
    {
        var access = ClientAccess.Of([new("alice", "a-token"), new("bob", "b-token")]);
        Assert.False(access.IsOpen);
        Assert.Null(access.Refusal(Hello("alice", "a-token")));
        Assert.Contains("wrong token for client \"bob\"", access.Refusal(Hello("bob", "a-token")));
        Assert.Contains("must give its token", access.Refusal(Hello("alice", null)));
        Assert.Contains("not one this server knows", access.Refusal(Hello("mallory", "a-token")));
        Assert.True(ClientAccess.Open.IsOpen);
        Assert.Null(ClientAccess.Open.Refusal(Hello("anyone", null)));
        Assert.True(ClientAccess.From(ConfigurationFactory.ParseString("")).IsOpen);
    }

    [Fact]
    public void A_remembered_verification_still_refuses_a_different_token()
    {
        var access = ClientAccess.Of([new("alice", "a-token")]);
        Assert.Null(access.Refusal(Hello("alice", "a-token")));   // verified in full, remembered
        Assert.Null(access.Refusal(Hello("alice", "a-token")));   // remembered
        Assert.NotNull(access.Refusal(Hello("alice", "a-tokeN")));
        Assert.NotNull(access.Refusal(Hello("alice", "")));
        Assert.Null(access.Refusal(Hello("alice", "a-token")));

        // a remembered token carries over a reload only while the client's hash is unchanged
        var same = ClientAccess.OfHashes([new("alice", access.CredentialOf("alice")!.ToString())]);
        same.RememberVerifiedFrom(access);
        Assert.Null(same.Refusal(Hello("alice", "a-token")));
        Assert.NotNull(same.Refusal(Hello("alice", "b-token")));
        var changed = ClientAccess.Of([new("alice", "new-token")]);
        changed.RememberVerifiedFrom(access);
        Assert.NotNull(changed.Refusal(Hello("alice", "a-token")));
        Assert.Null(changed.Refusal(Hello("alice", "new-token")));
    }

    [Fact]
    public void Credentials_tell_a_kept_client_from_a_removed_or_rehashed_one()
    {
        var before = ClientAccess.Of([new("alice", "a"), new("bob", "b")]);
        var bobHash = before.CredentialOf("bob")!.ToString();
        var after = ClientAccess.OfHashes([new("bob", bobHash), new("carol", TokenHash.Create("c").ToString())]);
        Assert.False(before.SameCredential("alice", after));                 // removed
        Assert.True(before.SameCredential("bob", after));                    // kept
        Assert.False(before.SameCredential("carol", after));                 // not admitted before
        Assert.False(before.SameCredential("bob", ClientAccess.Of([new("bob", "b")]))); // same token, another hash
        Assert.False(ClientAccess.Open.SameCredential("bob", after));        // was open, now listed
        Assert.True(ClientAccess.Open.SameCredential("anyone", ClientAccess.Open));
        Assert.Null(after.CredentialOf("alice"));
        Assert.False(before.SameAs(after));
        Assert.True(after.SameAs(ClientAccess.OfHashes([new("carol", after.CredentialOf("carol")!.ToString()), new("bob", bobHash)])));
    }
}
