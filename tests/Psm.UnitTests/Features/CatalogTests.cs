using Psm.Web.Data.Demo;
using Psm.Web.Features.Catalog;

namespace Psm.UnitTests.Features;

public sealed class CatalogTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(LifecycleStage.Introduction)]
    [InlineData(LifecycleStage.Growth)]
    [InlineData(LifecycleStage.Maturity)]
    [InlineData(LifecycleStage.Decline)]
    public void LetsEveryStageButRetiredTakeNewWork(LifecycleStage stage) =>
        Assert.Null(CatalogRules.RefusalForNewWork("Helpdesk", stage, "campaigns"));

    [Fact]
    public void RefusesNewWorkForARetiredItemAndSaysWhatToDo()
    {
        var refusal = CatalogRules.RefusalForNewWork("Classic Mail", LifecycleStage.Retired, "initiatives");

        Assert.Equal("Classic Mail is retired: a retired product or service gets no new initiatives. " +
                     "Move it out of Retired first if it is coming back.", refusal);
    }

    [Fact]
    public void SaysWhatEachStageCallsFor()
    {
        Assert.Equal(Enum.GetValues<LifecycleStage>(), LifecycleStages.All.Select(g => g.Stage));
        Assert.Equal("Educate and make known", LifecycleStages.Of(LifecycleStage.Introduction).Goal);
        Assert.Equal("Loyalty and retention", LifecycleStages.Of(LifecycleStage.Maturity).Goal);
        Assert.Contains("retirement", LifecycleStages.Of(LifecycleStage.Decline).Goal);
    }

    [Fact]
    public void GeneratesAConsistentDemoCatalog()
    {
        var owner = Guid.NewGuid();
        var (products, history) = new DemoData().Catalog(Now, owner);
        var again = new DemoData().Catalog(Now, owner);

        Assert.Equal(products.Select(p => p.Id), again.Products.Select(p => p.Id));
        Assert.Equal(Enum.GetValues<LifecycleStage>().Order(), products.Select(p => p.Stage).Order());
        foreach (var item in products.Cast<object>().Concat(products.SelectMany(p => p.Services)))
        {
            var (id, stage, since) = item switch
            {
                Product p => (p.Id, p.Stage, p.StageChangedAt),
                Service s => (s.Id, s.Stage, s.StageChangedAt),
                _ => throw new InvalidOperationException(),
            };
            var steps = history.Where(h => h.ItemId == id).OrderBy(h => h.At).ToList();
            Assert.Null(steps[0].From);
            Assert.Equal(stage, steps[^1].To);
            Assert.Equal(since, steps[^1].At);
            for (var i = 1; i < steps.Count; i++)
            {
                Assert.Equal(steps[i - 1].To, steps[i].From);
            }
        }
    }
}
