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
        Guid a = Guid.NewGuid(), b = Guid.NewGuid(), c = Guid.NewGuid(), d = Guid.NewGuid(), e = Guid.NewGuid(), f = Guid.NewGuid(), g = Guid.NewGuid();
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
        }.AsQueryable();

        var (active, churned) = CommerceRules.Churn(subscriptions, From, To);
        Assert.Equal(new[] { a, b, c, f }.Order(), active.ToList().Order());
        Assert.Equal(new[] { a, f }.Order(), churned.ToList().Order());

        // Revenue churn: 100 + 200 + 400 lost of 100 + 200 + 300 + 400 running at the start = 70 %.
        Assert.Equal(1_000m, CommerceRules.RunningOn(subscriptions, From).Sum(s => s.MonthlyAmount));
        Assert.Equal(700m, CommerceRules.LostIn(subscriptions, From, To).Sum(s => s.MonthlyAmount));

        // December: e's last day was the 30th, g's the 31st; both churned then, and b's second subscription had not begun.
        var (before, left) = CommerceRules.Churn(subscriptions, From.AddMonths(-1), From);
        Assert.Equal(new[] { a, b, c, e, f, g }.Order(), before.ToList().Order());
        Assert.Equal(new[] { e, g }.Order(), left.ToList().Order());
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
