using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

/// <summary>Lifetime value, churn, MRR and retention: computed, kept up to date, and the same by every route.</summary>
public sealed class CustomerFiguresApiTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    private static async Task<CustomerDto> GetCustomer(HttpClient client, Guid id) =>
        (await client.GetFromJsonAsync<CustomerDto>($"/api/v1/customers/{id}", Json.Options))!;

    [Fact]
    public async Task LifetimeValueAndChurnFollowEveryOrderSubscriptionAndImportAndCannotBeTyped()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Growth" })).ReadAsync<ProductDto>();

        // Typed figures are refused by name, on create and on update; nothing is stored.
        var typed = await Errors(await pm.PostAsJsonAsync("/api/v1/customers",
            new { name = "Typed", email = "typed@example.test", country = "DE", lifetimeValue = 6098 }));
        Assert.Contains("lifetimeValue", typed.Keys);
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers",
            new { name = "Aurora", email = "aurora@example.test", country = "DE", plan = "Pro", externalRef = "C-AURORA" })).ReadAsync<CustomerDto>();
        Assert.Equal(0, customer.LifetimeValue);
        var update = await Errors(await pm.PutAsJsonAsync($"/api/v1/customers/{customer.Id}",
            new { name = "Aurora", email = "aurora@example.test", country = "DE", churnedAt = DateTimeOffset.UtcNow, version = customer.Version }));
        Assert.Contains("churnedAt", update.Keys);

        // 253 of orders (one dated ahead is not counted yet) and a 90/month subscription that ran 37 days, today included.
        foreach (var (amount, day) in new[] { (200m, Today.AddDays(-40)), (53m, Today.AddDays(-3)), (999m, Today.AddDays(5)) })
        {
            (await pm.PostAsJsonAsync("/api/v1/orders", new { customerId = customer.Id, productId = product.Id, amount, currency = "EUR", orderedOn = day }))
                .EnsureSuccessStatusCode();
        }

        var subscription = await (await pm.PostAsJsonAsync("/api/v1/subscriptions", new
        {
            customerId = customer.Id, productId = product.Id, plan = "Pro", monthlyAmount = 90, currency = "EUR", startedOn = Today.AddDays(-36),
        })).ReadAsync<SubscriptionDto>();
        // 90 x 12 x 37 / 365 = 109.48.
        Assert.Equal(362.48m, (await GetCustomer(pm, customer.Id)).LifetimeValue);
        Assert.Null((await GetCustomer(pm, customer.Id)).ChurnedAt);

        // Cancelled six days ago: it ran 30 days (88.77), and the customer churned that day.
        (await pm.PostAsJsonAsync($"/api/v1/subscriptions/{subscription.Id}/cancel", new { cancelledOn = Today.AddDays(-6), reason = "Budget cut" }))
            .EnsureSuccessStatusCode();
        var churned = await GetCustomer(pm, customer.Id);
        Assert.Equal(341.77m, churned.LifetimeValue);
        Assert.Equal(new DateTimeOffset(Today.AddDays(-6).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero), churned.ChurnedAt);
        var activeNow = $"from={Today.AddDays(-7):yyyy-MM-dd}&to={Today.AddDays(1):yyyy-MM-dd}";
        Assert.Equal(0, (await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/customers.active/value?{activeNow}", Json.Options))!.Value);

        // Back through an import, starting today: a customer again, one more day of revenue (2.96).
        var csv = $"customerRef,product,plan,monthlyAmount,currency,startedOn\nC-AURORA,Helpdesk,Pro,90,EUR,{Today:yyyy-MM-dd}\n";
        (await pm.PostAsync("/api/v1/subscriptions/import", new StringContent(csv, Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
        var back = await GetCustomer(pm, customer.Id);
        Assert.Null(back.ChurnedAt);
        Assert.Equal(344.73m, back.LifetimeValue);
        Assert.Equal(1, (await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/customers.active/value?{activeNow}", Json.Options))!.Value);

        // An order import counts too.
        var orders = $"customerRef,product,amount,currency,orderedOn\nC-AURORA,Helpdesk,100.50,EUR,{Today.AddDays(-1):yyyy-MM-dd}\n";
        (await pm.PostAsync("/api/v1/orders/import", new StringContent(orders, Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
        Assert.Equal(445.23m, (await GetCustomer(pm, customer.Id)).LifetimeValue);
    }

    [Fact]
    public async Task TheDatabaseRecomputationAgreesWithTheDefinitionForEveryCustomer()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Growth" })).ReadAsync<ProductDto>();
        await using var scope = app.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();

        // Sixty customers with random histories: orders and subscriptions in two currencies, some ahead of today,
        // cancellations behind and ahead, customers with nothing at all.
        var rng = new Random(20261130);
        var customers = Enumerable.Range(0, 60).Select(i => new Customer
        {
            Name = $"Random {i}", Email = $"r{i}@example.test", Country = "DE", CreatedAt = DateTimeOffset.UtcNow,
            LifetimeValue = 12_345, ChurnedAt = DateTimeOffset.UnixEpoch, // wrong on purpose: the recomputation must correct them
        }).ToList();
        db.Customers.AddRange(customers);
        foreach (var c in customers.Skip(5))
        {
            for (var i = rng.Next(4); i > 0; i--)
            {
                db.Orders.Add(new Order
                {
                    CustomerId = c.Id, ProductId = product.Id, Amount = Math.Round((decimal)(rng.NextDouble() * 5_000), 2), Currency = rng.Next(5) == 0 ? "USD" : "EUR",
                    OrderedOn = Today.AddDays(rng.Next(-700, 20)), CreatedAt = DateTimeOffset.UtcNow,
                });
            }

            for (var i = rng.Next(3); i > 0; i--)
            {
                var start = Today.AddDays(rng.Next(-900, 10));
                db.Subscriptions.Add(new Subscription
                {
                    CustomerId = c.Id, ProductId = product.Id, MonthlyAmount = new[] { 90m, 390m, 1_990m, 45.5m }[rng.Next(4)], Currency = rng.Next(6) == 0 ? "USD" : "EUR",
                    StartedOn = start, CancelledOn = rng.Next(2) == 0 ? null : start.AddDays(rng.Next(1, 800)), CreatedAt = DateTimeOffset.UtcNow,
                });
            }
        }

        await db.SaveChangesAsync();
        var changed = await CustomerFigures.RecomputeAsync(db, "EUR", Today, null, default);
        Assert.Equal(60, changed);
        Assert.Equal(0, await CustomerFigures.RecomputeAsync(db, "EUR", Today, null, default)); // a second run changes nothing

        db.ChangeTracker.Clear();
        var orders = await db.Orders.AsNoTracking().ToListAsync();
        var subscriptions = await db.Subscriptions.AsNoTracking().ToListAsync();
        foreach (var stored in await db.Customers.AsNoTracking().ToListAsync())
        {
            var expected = CustomerFigures.LifetimeValue(orders.Where(o => o.CustomerId == stored.Id), subscriptions.Where(s => s.CustomerId == stored.Id), "EUR", Today);
            Assert.True(Math.Abs(expected - stored.LifetimeValue) <= 0.01m, $"{stored.Name}: {stored.LifetimeValue} stored, {expected} by the definition");
            var churnedOn = CustomerFigures.ChurnedOn(subscriptions.Where(s => s.CustomerId == stored.Id), Today);
            Assert.Equal(churnedOn?.ToDateTime(TimeOnly.MinValue), stored.ChurnedAt?.UtcDateTime);
        }

        Assert.Contains(customers, c => subscriptions.Any(s => s.CustomerId == c.Id)); // the data had something to compute
    }

    [Fact]
    public async Task MrrArrAndRetentionAreRegistryMetricsCutByPlan()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Growth" })).ReadAsync<ProductDto>();
        async Task<Guid> NewCustomer(string name) => (await (await pm.PostAsJsonAsync("/api/v1/customers",
            new { name, email = $"{name.ToLowerInvariant()}@example.test", country = "DE" })).ReadAsync<CustomerDto>()).Id;
        async Task Subscribe(Guid who, string plan, decimal monthly, string start, string? cancelledOn = null) =>
            (await pm.PostAsJsonAsync("/api/v1/subscriptions", new
            {
                customerId = who, productId = product.Id, plan, monthlyAmount = monthly, currency = "EUR", startedOn = start, cancelledOn,
            })).EnsureSuccessStatusCode();

        Guid a = await NewCustomer("A"), b = await NewCustomer("B"), c = await NewCustomer("C"), d = await NewCustomer("D"), e = await NewCustomer("E");
        await Subscribe(a, "Pro", 300, "2025-05-01", "2026-01-20");
        await Subscribe(b, "Pro", 100, "2025-05-01");
        await Subscribe(b, "Pro", 50, "2026-01-15");
        await Subscribe(c, "Starter", 200, "2025-06-01");
        await Subscribe(c, "Starter", 80, "2025-06-01", "2026-01-10");
        await Subscribe(d, "Pro", 500, "2026-01-05");
        await Subscribe(e, "Starter", 40, "2026-01-01", "2026-01-25");

        async Task<double?> Metric(string key, string cut = "") =>
            (await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/{key}/value?from=2026-01-01&to=2026-02-01{cut}", Json.Options))!.Value;
        Assert.Equal(850, await Metric("commerce.mrr"));
        Assert.Equal(10_200, await Metric("commerce.arr"));
        Assert.Equal(48.61, await Metric("commerce.nrr"));          // 350 of 720
        Assert.Equal(50, await Metric("commerce.expansion_mrr"));
        Assert.Equal(80, await Metric("commerce.contraction_mrr"));
        Assert.Equal(50, await Metric("commerce.churn_rate"));      // a and e (which started on the first day) of a, b, c, e
        Assert.Equal(650, await Metric("commerce.mrr", "&plan=Pro"));
        Assert.Equal(Math.Round(150 / 400.0 * 100, 2), await Metric("commerce.nrr", "&plan=Pro"));
        Assert.Equal(200, await Metric("commerce.mrr", "&plan=Starter"));
        Assert.Contains("plan", (await Errors(await pm.GetAsync("/api/v1/metrics/survey.nps/value?from=2026-01-01&to=2026-02-01&plan=Pro"))).Keys);

        var series = await pm.GetFromJsonAsync<List<MetricPoint>>("/api/v1/metrics/commerce.mrr/series?from=2025-12-01&to=2026-03-01&granularity=Month", Json.Options);
        Assert.Equal([720, 850, 850], series!.Select(p => p.Value));
        var definitions = await pm.GetFromJsonAsync<List<MetricDefinition>>("/api/v1/metrics", Json.Options);
        Assert.Contains("started on or before", definitions!.Single(m => m.Key == "commerce.churn_rate").Description, StringComparison.Ordinal);
    }
}
