using Psm.Web.Features.Account;

namespace Psm.UnitTests.Features;

public sealed class ApiKeyTests
{
    [Fact]
    public void IssuesATokenWhosePrefixFindsTheKeyAndWhoseHashMatches()
    {
        var (token, key) = ApiKey.Issue(Guid.NewGuid(), "CI", ApiKeyScope.Read, DateTimeOffset.UnixEpoch);

        Assert.Equal(key.Prefix, ApiKey.PrefixOf(token));
        Assert.True(key.Matches(token));
        Assert.DoesNotContain(token, key.Hash);
        Assert.Equal(64, key.Hash.Length);
    }

    [Fact]
    public void DoesNotMatchAnotherTokenWithTheSamePrefix()
    {
        var (token, key) = ApiKey.Issue(Guid.NewGuid(), "CI", ApiKeyScope.Read, DateTimeOffset.UnixEpoch);
        var forged = token[..^1] + (token[^1] == 'a' ? 'b' : 'a');

        Assert.False(key.Matches(forged));
    }

    [Theory]
    [InlineData("")]
    [InlineData("psm_short_secret")]
    [InlineData("abc_0123456789ab_secret")]
    [InlineData("psm_0123456789ab_")]
    public void RecognisesNoPrefixInATokenOfTheWrongShape(string token) => Assert.Null(ApiKey.PrefixOf(token));

    [Fact]
    public void IssuesDifferentTokensEveryTime()
    {
        var first = ApiKey.Issue(Guid.NewGuid(), "a", ApiKeyScope.Read, DateTimeOffset.UnixEpoch).Token;
        var second = ApiKey.Issue(Guid.NewGuid(), "a", ApiKeyScope.Read, DateTimeOffset.UnixEpoch).Token;

        Assert.NotEqual(first, second);
    }
}
