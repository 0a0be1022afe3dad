using Psm.Web.Infrastructure.Http;

namespace Psm.UnitTests.Infrastructure;

public sealed class SeenFilterTests
{
    [Fact]
    public void NeverSaysNoToAKeyItWasGivenAndRarelyMaybeToOneItWasNot()
    {
        var filter = new SeenFilter(bitsLog2: 20); // 128 KB
        var added = Enumerable.Range(0, 50_000).Select(i => $"ref-{i}").ToList();
        added.ForEach(filter.Add);

        Assert.All(added, key => Assert.True(filter.MightContain(key), key));
        // 50 000 keys in 2^20 bits with four hashes: about 0.1 % of other keys answer "maybe" (the bound allows 1 %).
        var falseMaybes = Enumerable.Range(50_000, 100_000).Count(i => filter.MightContain($"ref-{i}"));
        Assert.InRange(falseMaybes, 0, 1_000);
        Assert.Equal(128 * 1024, filter.Bytes);
    }

    [Fact]
    public void AnEmptyFilterSaysNo() => Assert.False(new SeenFilter(bitsLog2: 10).MightContain("anything"));
}
