using Psm.Web.Features.Catalog;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;

namespace Psm.Web.Data.Demo;

/// <summary>
/// Subscriptions since each customer signed up (Helpdesk for most, Analytics for some, the Legacy CRM for
/// the oldest, which is losing them), cancellations with reasons, and a year of add-on orders.
/// Churn follows what customers said: half of those whose first detractor NPS answer in the last year was 0 to 3, and a fifth of
/// those whose was 4 to 6, leave 3 to 16 weeks later (every subscription ends that day); others leave at random, Enterprise least.
/// That is the signal the churn model learns.
/// </summary>
public sealed partial class DemoData
{
    private static readonly string[] CancelReasons =
        ["Moved to a competitor", "Budget cut", "Company closed", "Migrated to Helpdesk", "Too expensive for what it does", "Project ended"];

    public (IReadOnlyList<Subscription> Subscriptions, IReadOnlyList<Order> Orders) Commerce(
        DateTimeOffset now, IReadOnlyList<Customer> customers, IReadOnlyList<Product> products, IReadOnlyList<SurveyResponse> answers,
        IReadOnlySet<Guid> npsSurveys)
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
        var firstDetraction = answers
            .Where(a => a.CustomerId is not null && npsSurveys.Contains(a.SurveyId) && a.Score <= 6 && a.RespondedOn >= yearAgo)
            .GroupBy(a => a.CustomerId!.Value).ToDictionary(g => g.Key, g => g.OrderBy(a => a.RespondedOn).Select(a => (On: a.RespondedOn, a.Score)).First());
        DateOnly? leaves = null;
        var leaveReason = "";

        Subscription Subscribe(Customer c, Product product, DateOnly start, decimal monthly, double churnChance)
        {
            var subscription = new Subscription
            {
                Id = DeterministicId(rng, now), CustomerId = c.Id, ProductId = product.Id, Plan = c.Plan, MonthlyAmount = monthly, Currency = "EUR",
                StartedOn = start, CreatedAt = now, ExternalRef = $"SUB-{subscriptions.Count + 1:D6}",
            };
            if (leaves is { } day && day > start)
            {
                subscription.CancelledOn = day;
                subscription.CancelReason = leaveReason;
            }
            // Cancellations fall in the last year, later in the year for the product in Decline.
            else if (rng.NextDouble() < churnChance)
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
            leaves = null;
            // The angrier the answer, the likelier they leave: half of those who answered 0 to 3, a fifth of those who answered 4 to 6.
            if (firstDetraction.TryGetValue(c.Id, out var detracted) && rng.NextDouble() < (detracted.Score <= 3 ? 0.5 : 0.2)
                && detracted.On.AddDays(rng.Next(20, 110)) is var leaving && leaving < today && leaving > signup.AddDays(30))
            {
                leaves = leaving;
                leaveReason = CancelReasons[rng.Next(CancelReasons.Length)];
            }

            Subscribe(c, helpdesk, signup, monthly, c.Plan == "Enterprise" ? 0.02 : 0.05);
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
