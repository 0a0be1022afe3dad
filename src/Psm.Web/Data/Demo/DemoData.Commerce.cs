using Psm.Web.Features.Catalog;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Customers;

namespace Psm.Web.Data.Demo;

/// <summary>
/// Subscriptions since each customer signed up (Helpdesk for most, Analytics for some, the Legacy CRM for
/// the oldest, which is losing them), cancellations with reasons, and a year of add-on orders.
/// </summary>
public sealed partial class DemoData
{
    private static readonly string[] CancelReasons =
        ["Moved to a competitor", "Budget cut", "Company closed", "Migrated to Helpdesk", "Too expensive for what it does", "Project ended"];

    public (IReadOnlyList<Subscription> Subscriptions, IReadOnlyList<Order> Orders) Commerce(
        DateTimeOffset now, IReadOnlyList<Customer> customers, IReadOnlyList<Product> products)
    {
        var rng = new Random(seed + 11);
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var yearAgo = today.AddYears(-1);
        Product P(string name) => products.Single(p => p.Name == name);
        var helpdesk = P("Northwind Helpdesk");
        var analytics = P("Northwind Analytics");
        var legacy = P("Northwind Legacy CRM");
        var field = P("Northwind Field Service");
        var subscriptions = new List<Subscription>();
        var orders = new List<Order>();

        Subscription Subscribe(Customer c, Product product, DateOnly start, decimal monthly, double churnChance)
        {
            var subscription = new Subscription
            {
                Id = DeterministicId(rng, now), CustomerId = c.Id, ProductId = product.Id, Plan = c.Plan, MonthlyAmount = monthly, Currency = "EUR",
                StartedOn = start, CreatedAt = now, ExternalRef = $"SUB-{subscriptions.Count + 1:D6}",
            };
            // Cancellations fall in the last year, later in the year for the product in Decline.
            if (rng.NextDouble() < churnChance)
            {
                var from = start > yearAgo ? start.AddDays(30) : yearAgo;
                if (from < today)
                {
                    subscription.CancelledOn = from.AddDays(rng.Next(Math.Max(1, today.DayNumber - from.DayNumber)));
                    subscription.CancelReason = product == legacy ? "Migrated to Helpdesk" : CancelReasons[rng.Next(CancelReasons.Length)];
                }
            }

            subscriptions.Add(subscription);
            return subscription;
        }

        foreach (var c in customers)
        {
            var signup = c.SignupDate ?? DateOnly.FromDateTime(c.CreatedAt.UtcDateTime);
            var monthly = c.Plan switch { "Enterprise" => 1_990m, "Pro" => 390m, _ => 90m };
            Subscribe(c, helpdesk, signup, monthly, c.Plan == "Enterprise" ? 0.06 : 0.16);
            if (rng.Next(3) == 0 && signup.AddDays(rng.Next(30, 400)) is var added && added < today)
            {
                Subscribe(c, analytics, added, monthly / 2, 0.12);
            }

            // The oldest customers also run the Legacy CRM, from the day they signed up.
            if (signup < today.AddYears(-2) && rng.Next(4) == 0)
            {
                Subscribe(c, legacy, signup, 250m, 0.45);
            }

            // Add-ons, training and consulting: most buy once in a year, some come back.
            var purchases = rng.Next(10) switch { < 3 => 0, < 7 => 1, < 9 => 2, _ => 3 + rng.Next(3) };
            for (var i = 0; i < purchases; i++)
            {
                var day = yearAgo.AddDays(rng.Next(365));
                if (day < signup)
                {
                    continue;
                }

                var product = rng.Next(6) switch { 0 => analytics, 1 => field, _ => helpdesk };
                orders.Add(new Order
                {
                    Id = DeterministicId(rng, now), CustomerId = c.Id, ProductId = product.Id, Currency = "EUR", OrderedOn = day, CreatedAt = now,
                    Amount = Math.Round((decimal)(150 + rng.NextDouble() * (c.Plan == "Enterprise" ? 9_000 : 1_500)), 2),
                    ExternalRef = $"ORD-{orders.Count + 1:D6}",
                });
            }
        }

        return (subscriptions, orders);
    }
}
