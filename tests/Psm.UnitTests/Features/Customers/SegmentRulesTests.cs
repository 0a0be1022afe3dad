using Psm.Web.Features.Customers;

namespace Psm.UnitTests.Features.Customers;

public sealed class SegmentRulesTests
{
    private static readonly Guid Field = Guid.NewGuid();

    private static readonly Customer[] Customers =
    [
        new() { Name = "A", Plan = "Pro", Region = "Europe", Industry = "Retail", LifetimeValue = 5_000, SignupDate = new(2025, 1, 10), ProfilingConsent = true },
        new() { Name = "B", Plan = "Pro", Region = "Americas", Industry = "Retail", LifetimeValue = 50_000, SignupDate = new(2025, 6, 1), ProfilingConsent = true, PersonaId = Field },
        new() { Name = "C", Plan = "Starter", Region = "Europe", Industry = "Finance", LifetimeValue = 900, SignupDate = new(2024, 3, 3), ProfilingConsent = true },
        new() { Name = "D", Plan = "Pro", Region = "Europe", Industry = "Retail", LifetimeValue = 7_000, SignupDate = new(2025, 2, 2), ProfilingConsent = false },
        new() { Name = "E", Plan = "Pro", Region = "Europe", Industry = "Retail", LifetimeValue = 7_000, ProfilingConsent = true, ArchivedAt = DateTimeOffset.UnixEpoch },
    ];

    private static string[] Members(SegmentRules rules) => rules.Members(Customers.AsQueryable()).Select(c => c.Name).Order().ToArray();

    [Fact]
    public void EmptyRulesMatchEveryConsentingActiveCustomer() => Assert.Equal(["A", "B", "C"], Members(new SegmentRules()));

    [Fact]
    public void RulesCombineWithAndValuesWithOr()
    {
        Assert.Equal(["A", "B"], Members(new SegmentRules { Plans = ["Pro"] }));
        Assert.Equal(["A", "C"], Members(new SegmentRules { Regions = ["Europe"], Industries = ["Retail", "Finance"] }));
        Assert.Equal(["A"], Members(new SegmentRules { Plans = ["Pro"], Regions = ["Europe"] }));
    }

    [Fact]
    public void RangesIncludeTheirEnds()
    {
        Assert.Equal(["A", "B"], Members(new SegmentRules { MinLifetimeValue = 5_000, MaxLifetimeValue = 50_000 }));
        Assert.Equal(["A", "B"], Members(new SegmentRules { SignedUpFrom = new(2025, 1, 10), SignedUpTo = new(2025, 6, 1) }));
        Assert.Equal(["B"], Members(new SegmentRules { PersonaIds = [Field] }));
    }

    [Fact]
    public void ContradictoryRangesAreProblems()
    {
        var problems = new SegmentRules { MinLifetimeValue = 10, MaxLifetimeValue = 5, SignedUpFrom = new(2025, 2, 1), SignedUpTo = new(2025, 1, 1) }
            .Problems().Select(p => p.Field).ToList();
        Assert.Equal(["rules.maxLifetimeValue", "rules.signedUpTo"], problems);
    }
}
