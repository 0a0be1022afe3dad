using Psm.Web.Features.Commerce;

namespace Psm.UnitTests.Features.Commerce;

public sealed class CommerceRulesTests
{
    private static readonly DateOnly From = new(2026, 1, 1);
    private static readonly DateOnly To = new(2026, 2, 1);

    private static Subscription Sub(Guid customer, string start, string? end, decimal monthly) => new()
    {
        CustomerId = customer, StartedOn = DateOnly.Parse(start), CancelledOn = end is null ? null : DateOnly.Parse(end), MonthlyAmount = monthly,
    };

    [Fact]
    public void ChurnCountsCustomersActiveAtTheStartWhoseLastSubscriptionEndedInThePeriod()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid(), d = Guid.NewGuid(), e = Guid.NewGuid(), f = Guid.NewGuid(), g = Guid.NewGuid(),
            h = Guid.NewGuid();
        var subscriptions = new[]
        {
            Sub(a, "2025-06-01", "2026-01-15", 100), // active, ended in January: churned
            Sub(b, "2025-06-01", "2026-01-20", 200), // active, ended...
            Sub(b, "2026-01-10", null, 250),          // ...but moved to another that still runs: not churned
            Sub(c, "2025-06-01", null, 300),          // active, still running
            Sub(d, "2026-01-05", "2026-01-25", 50),  // started in the period: not active at its start
            Sub(e, "2025-01-01", "2025-12-31", 75),  // ended before the period
            Sub(f, "2025-03-01", "2026-02-01", 400), // its first day without service is the period's end: churned in it
            Sub(g, "2025-03-01", "2026-01-01", 80),  // ended exactly as the period began: last period's churn
            Sub(h, "2026-01-01", "2026-01-20", 60),  // started on the period's first day and ended in it: active at its start, churned
        }.AsQueryable();

        var (active, churned) = CommerceRules.Churn(subscriptions, From, To);
        Assert.Equal(new[] { a, b, c, f, h }.Order(), active.ToList().Order());
        Assert.Equal(new[] { a, f, h }.Order(), churned.ToList().Order());

        // Revenue churn: 100 + 200 + 400 + 60 lost of 100 + 200 + 300 + 400 + 60 running at the start.
        Assert.Equal(1_060m, CommerceRules.RunningOn(subscriptions, From).Sum(s => s.MonthlyAmount));
        Assert.Equal(760m, CommerceRules.LostIn(subscriptions, From, To).Sum(s => s.MonthlyAmount));

        // December: e's last day was the 30th, g's the 31st; both churned then, and b's second subscription had not begun.
        var (before, left) = CommerceRules.Churn(subscriptions, From.AddMonths(-1), From);
        Assert.Equal(new[] { a, b, c, e, f, g }.Order(), before.ToList().Order());
        Assert.Equal(new[] { e, g }.Order(), left.ToList().Order());
    }

    [Fact]
    public async Task MrrAndNetRevenueRetentionFollowTheCustomersWhoHadRevenueAtTheStart()
    {
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid(), d = Guid.NewGuid(), e = Guid.NewGuid();
        var subscriptions = new[]
        {
            Sub(a, "2025-05-01", "2026-01-20", 300), // left in January: churned MRR
            Sub(b, "2025-05-01", null, 100),
            Sub(b, "2026-01-15", null, 50),          // b added a product: expansion
            Sub(c, "2025-06-01", null, 200),
            Sub(c, "2025-06-01", "2026-01-10", 80),  // c dropped one and stayed: contraction
            Sub(d, "2026-01-05", null, 500),          // a new customer: in MRR, not in retention
            Sub(e, "2026-01-01", "2026-01-25", 40),  // started on the first day: in the cohort, then churned
        }.AsQueryable();

        Assert.Equal(720m, CommerceRules.Mrr(subscriptions, From).Sum());
        Assert.Equal(850m, CommerceRules.Mrr(subscriptions, To).Sum());
        var movement = await CommerceRules.MovementAsync(subscriptions, From, To, v => Task.FromResult(v.Sum()));
        // 720 + 50 - 80 - 340 = 350 at the close, of 720: 48.61 %.
        Assert.Equal(new RevenueMovement(720, 350, 50, 80, 340), movement);
        Assert.Equal(48.61, movement.RetentionPercent);
        Assert.Null(new RevenueMovement(0, 0, 0, 0, 0).RetentionPercent);
    }

    [Fact]
    public void APeriodsLevelIsReadAtItsEndOrTodayWhileItRuns()
    {
        Assert.Equal(To, CommerceRules.Close(To, To.AddDays(10)));
        Assert.Equal(To, CommerceRules.Close(To, To));
        Assert.Equal(From.AddDays(9), CommerceRules.Close(To, From.AddDays(9)));
    }

    [Fact]
    public void RepeatPurchaseCountsCustomersWithTwoOrMoreOrdersInThePeriod()
    {
        Guid x = Guid.NewGuid(), y = Guid.NewGuid(), z = Guid.NewGuid(), w = Guid.NewGuid();
        Order O(Guid customer, string day) => new() { CustomerId = customer, OrderedOn = DateOnly.Parse(day), Amount = 10, Currency = "EUR" };
        var orders = new[]
        {
            O(x, "2026-01-03"), O(x, "2026-01-30"), O(y, "2026-01-10"), O(z, "2026-01-01"), O(z, "2026-01-02"), O(z, "2026-01-31"),
            O(y, "2025-12-31"), O(w, "2026-02-01"), // outside the period
        }.AsQueryable();

        var perCustomer = CommerceRules.OrdersPerCustomer(orders, From, To).ToList();
        Assert.Equal(3, perCustomer.Count);
        Assert.Equal(2, perCustomer.Count(n => n >= 2));
    }

    [Theory]
    [InlineData("EUR", true)]
    [InlineData("usd", true)]
    [InlineData("EURO", false)]
    [InlineData("E1R", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void CurrenciesAreThreeLetterCodes(string? code, bool valid) => Assert.Equal(valid, Orders.IsCurrency(code));

    [Fact]
    public void ASubscriptionCannotEndBeforeOrOnTheDayItStarts()
    {
        var start = new DateOnly(2026, 3, 1);
        Assert.Contains(Orders.SubscriptionProblems(10, start, start), p => p.Field == "cancelledOn");
        Assert.Contains(Orders.SubscriptionProblems(10, start, start.AddDays(-1)), p => p.Field == "cancelledOn");
        Assert.Empty(Orders.SubscriptionProblems(10, start, start.AddDays(1)));
        Assert.Contains(Orders.SubscriptionProblems(-1, start, null), p => p.Field == "monthlyAmount");
    }
}
