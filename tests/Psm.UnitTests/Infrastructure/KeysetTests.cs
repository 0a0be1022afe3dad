using Psm.Web.Infrastructure.Http;

namespace Psm.UnitTests.Infrastructure;

public sealed class KeysetTests
{
    [Fact]
    public void DefaultsToFiftyRowsFromTheStart()
    {
        var page = PageRequest.Parse(null, null);

        Assert.Equal(PageRequest.DefaultLimit, page.Limit);
        Assert.Null(page.After);
    }

    [Fact]
    public void RoundTripsTheKeyOfTheLastRowThroughTheCursor()
    {
        var cursor = PageRequest.Encode(["Zephyr, \"Ltd\"", "0190f3a4-0000-7000-8000-000000000000"]);

        var page = PageRequest.Parse(10, cursor);

        Assert.Equal(["Zephyr, \"Ltd\"", "0190f3a4-0000-7000-8000-000000000000"], page.After);
        Assert.DoesNotContain('+', cursor);
        Assert.DoesNotContain('/', cursor);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(PageRequest.MaxLimit + 1)]
    public void RejectsALimitOutOfRange(int limit)
    {
        var error = Assert.Throws<RequestValidationException>(() => PageRequest.Parse(limit, null));

        Assert.Contains("limit", error.Errors.Keys);
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("e30")] // "{}": JSON, but not a key
    [InlineData("W10")] // "[]": an empty key
    public void RejectsACursorItDidNotIssue(string cursor)
    {
        var error = Assert.Throws<RequestValidationException>(() => PageRequest.Parse(10, cursor));

        Assert.Contains("cursor", error.Errors.Keys);
    }

    [Fact]
    public void GivesACursorOnlyWhenMoreRowsWereFetchedThanThePageHolds()
    {
        var request = PageRequest.Parse(3, null);

        var full = request.ToPage([1, 2, 3, 4], n => [n.ToString()]);
        var last = request.ToPage([1, 2, 3], n => [n.ToString()]);

        Assert.Equal([1, 2, 3], full.Items);
        Assert.Equal(["3"], PageRequest.Parse(3, full.NextCursor).After);
        Assert.Equal([1, 2, 3], last.Items);
        Assert.Null(last.NextCursor);
    }
}
