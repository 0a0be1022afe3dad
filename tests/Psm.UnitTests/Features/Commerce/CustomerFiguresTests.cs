using Psm.Web.Features.Commerce;

namespace Psm.UnitTests.Features.Commerce;

public sealed class CustomerFiguresTests
{
    private static readonly DateOnly Today = new(2026, 11, 30);

    private static Subscription Sub(string start, string? end, decimal monthly, string currency = "EUR") => new()
    {
        StartedOn = DateOnly.Parse(start), CancelledOn = end is null ? null : DateOnly.Parse(end), MonthlyAmount = monthly, Currency = currency,
    };

    private static Order Buy(string day, decimal amount, string currency = "EUR") => new() { OrderedOn = DateOnly.Parse(day), Amount = amount, Currency = currency };

    [Fact]
    public void ASubscriptionRunsFromItsFirstDayToTheDayBeforeItsCancellationOrToToday()
    {
        Assert.Equal(30, CustomerFigures.DaysRun(Sub("2026-11-01", null, 1), Today));          // 1 to 30 November, today included
        Assert.Equal(1, CustomerFigures.DaysRun(Sub("2026-11-30", null, 1), Today));           // starts today
        Assert.Equal(9, CustomerFigures.DaysRun(Sub("2026-11-01", "2026-11-10", 1), Today));  // its last day was the 9th
        Assert.Equal(30, CustomerFigures.DaysRun(Sub("2026-11-01", "2026-12-15", 1), Today)); // a cancellation ahead has not happened yet
        Assert.Equal(0, CustomerFigures.DaysRun(Sub("2026-12-01", null, 1), Today));           // not started
    }

    [Fact]
    public void LifetimeValueIsOrdersToDatePlusSubscriptionRevenueToDateInTheReportingCurrency()
    {
        // The customer: 253 of orders and a 90/month subscription. Here it began 1 September 2026:
        // 91 days to today, 90 x 12 x 91 / 365 = 269.26; plus 253 of orders = 522.26.
        var orders = new[] { Buy("2026-03-02", 200), Buy("2026-10-01", 53), Buy("2026-12-24", 999), Buy("2026-05-05", 400, "USD") };
        var subscriptions = new[] { Sub("2026-09-01", null, 90), Sub("2026-01-01", null, 500, "USD") };
        Assert.Equal(522.26m, CustomerFigures.LifetimeValue(orders, subscriptions, "EUR", Today));
        // In dollars: 400 of orders and 500 x 12 x 334 / 365 = 5 490.41.
        Assert.Equal(5_890.41m, CustomerFigures.LifetimeValue(orders, subscriptions, "USD", Today));
        Assert.Equal(0m, CustomerFigures.LifetimeValue([], [], "EUR", Today));
    }

    [Fact]
    public void ACustomerHasChurnedWhenNoSubscriptionRunsAndOneHasEnded()
    {
        Assert.Null(CustomerFigures.ChurnedOn([], Today));                                                               // never subscribed
        Assert.Null(CustomerFigures.ChurnedOn([Sub("2025-01-01", "2026-03-01", 10), Sub("2026-02-15", null, 10)], Today)); // moved to another
        Assert.Equal(new DateOnly(2026, 6, 1),
            CustomerFigures.ChurnedOn([Sub("2025-01-01", "2026-03-01", 10), Sub("2026-02-15", "2026-06-01", 10)], Today)); // the last one ended
        Assert.Equal(Today, CustomerFigures.ChurnedOn([Sub("2025-01-01", "2026-11-30", 10)], Today));                  // ends today: gone today
        Assert.Null(CustomerFigures.ChurnedOn([Sub("2025-01-01", "2026-12-31", 10)], Today));                          // ends ahead: still a customer
        Assert.Null(CustomerFigures.ChurnedOn([Sub("2025-01-01", "2026-10-01", 10), Sub("2026-11-30", null, 10)], Today)); // came back today
    }
}
