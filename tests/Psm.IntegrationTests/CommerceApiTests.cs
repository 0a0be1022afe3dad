using System.Net;
using System.Net.Http.Json;
using System.Text;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

public sealed class CommerceApiTests
{
    [Fact]
    public async Task OrdersAndSubscriptionsRefuseBadInputAndFeedChurnRepeatPurchaseAndRevenue()
    {
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var product = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Helpdesk", stage = "Growth" })).ReadAsync<ProductDto>();
        var other = await (await pm.PostAsJsonAsync("/api/v1/products", new { name = "Analytics", stage = "Growth" })).ReadAsync<ProductDto>();
        var customers = new List<CustomerDto>();
        foreach (var (name, plan) in new[] { ("Aurora", "Pro"), ("Birch", "Pro"), ("Cobalt", "Starter"), ("Delta", "Starter") })
        {
            var customer = await (await pm.PostAsJsonAsync("/api/v1/customers",
                new { name, email = $"{name.ToLowerInvariant()}@example.test", country = "DE", plan, externalRef = $"C-{name}" })).ReadAsync<CustomerDto>();
            (await pm.PostAsJsonAsync($"/api/v1/customers/{customer.Id}/consent", new { purpose = "Profiling", granted = true, source = "contract" })).EnsureSuccessStatusCode();
            customers.Add(customer);
        }

        var (a, b, c, d) = (customers[0], customers[1], customers[2], customers[3]);
        foreach (var plan in new[] { "Pro", "Starter" })
        {
            (await pm.PostAsJsonAsync("/api/v1/segments", new { name = plan, rules = new { plans = new[] { plan } } })).EnsureSuccessStatusCode();
        }

        object Subscription(CustomerDto who, string start, string? cancelledOn = null, decimal monthly = 100, Guid? productId = null) =>
            new { customerId = who.Id, productId = productId ?? product.Id, plan = who.Plan, monthlyAmount = monthly, currency = "EUR", startedOn = start, cancelledOn };

        // Bad input names its field and stores nothing.
        Assert.Contains("customerId", (await Errors(await pm.PostAsJsonAsync("/api/v1/subscriptions",
            new { customerId = Guid.NewGuid(), productId = product.Id, monthlyAmount = 10, currency = "EUR", startedOn = "2026-01-01" }))).Keys);
        Assert.Contains("cancelledOn", (await Errors(await pm.PostAsJsonAsync("/api/v1/subscriptions", Subscription(a, "2026-03-01", "2026-02-01")))).Keys);
        Assert.Contains("amount", (await Errors(await pm.PostAsJsonAsync("/api/v1/orders",
            new { customerId = a.Id, productId = product.Id, amount = -5, currency = "EUR", orderedOn = "2026-01-05" }))).Keys);
        Assert.Contains("currency", (await Errors(await pm.PostAsJsonAsync("/api/v1/orders",
            new { customerId = a.Id, productId = product.Id, amount = 5, currency = "EURO", orderedOn = "2026-01-05" }))).Keys);
        Assert.Empty((await pm.GetFromJsonAsync<List<SubscriptionDto>>("/api/v1/subscriptions", Json.Options))!);

        // January 2026: a and b are active at its start; a leaves in it, b stays; c starts in it; d left in December.
        var aSub = await (await pm.PostAsJsonAsync("/api/v1/subscriptions", Subscription(a, "2025-05-01", monthly: 300))).ReadAsync<SubscriptionDto>();
        (await pm.PostAsJsonAsync("/api/v1/subscriptions", Subscription(b, "2025-05-01", monthly: 100))).EnsureSuccessStatusCode();
        (await pm.PostAsJsonAsync("/api/v1/subscriptions", Subscription(c, "2026-01-10"))).EnsureSuccessStatusCode();
        (await pm.PostAsJsonAsync("/api/v1/subscriptions", Subscription(d, "2025-02-01", "2025-12-15"))).EnsureSuccessStatusCode();
        (await pm.PostAsJsonAsync("/api/v1/subscriptions", Subscription(b, "2025-05-01", monthly: 50, productId: other.Id))).EnsureSuccessStatusCode();
        Assert.Contains("cancelledOn", (await Errors(await pm.PostAsJsonAsync($"/api/v1/subscriptions/{aSub.Id}/cancel", new { cancelledOn = "2025-04-01" }))).Keys);
        var cancelled = await (await pm.PostAsJsonAsync($"/api/v1/subscriptions/{aSub.Id}/cancel", new { cancelledOn = "2026-01-20", reason = "Budget cut" }))
            .ReadAsync<SubscriptionDto>();
        Assert.Equal(new DateOnly(2026, 1, 20), cancelled.CancelledOn);
        Assert.Contains("cancelledOn", (await Errors(await pm.PostAsJsonAsync($"/api/v1/subscriptions/{aSub.Id}/cancel", new { cancelledOn = "2026-01-25" }))).Keys);

        async Task<double?> Metric(string key, string from, string to, string cut = "") =>
            (await pm.GetFromJsonAsync<MetricValue>($"/api/v1/metrics/{key}/value?from={from}&to={to}{cut}", Json.Options))!.Value;
        Assert.Equal(50, await Metric("commerce.churn_rate", "2026-01-01", "2026-02-01")); // a of a and b
        Assert.Equal(50, await Metric("commerce.churn_rate", "2026-01-01", "2026-02-01", $"&productId={product.Id}&segment=Pro"));
        Assert.Equal(0, await Metric("commerce.churn_rate", "2026-01-01", "2026-02-01", $"&productId={other.Id}"));
        Assert.Equal(100, await Metric("commerce.churn_rate", "2025-12-01", "2026-01-01", "&segment=Starter")); // d, in December
        Assert.Equal(Math.Round(300 / 450.0 * 100, 2), await Metric("commerce.revenue_churn", "2026-01-01", "2026-02-01"));

        // Orders: two for a, one for b, one in dollars for c (not counted as revenue in euros).
        foreach (var (who, amount, currency, day) in new[] { (a, 100m, "EUR", "2026-01-03"), (a, 50m, "EUR", "2026-01-28"), (b, 70m, "EUR", "2026-01-15"), (c, 999m, "USD", "2026-01-16") })
        {
            (await pm.PostAsJsonAsync("/api/v1/orders", new { customerId = who.Id, productId = product.Id, amount, currency, orderedOn = day })).EnsureSuccessStatusCode();
        }

        Assert.Equal(Math.Round(100 / 3.0, 2), await Metric("commerce.repeat_purchase_rate", "2026-01-01", "2026-02-01"));
        Assert.Equal(220, await Metric("commerce.revenue", "2026-01-01", "2026-02-01"));
        var series = await pm.GetFromJsonAsync<List<MetricPoint>>("/api/v1/metrics/commerce.churn_rate/series?from=2025-12-01&to=2026-02-01&granularity=Month", Json.Options);
        Assert.Equal([(new DateOnly(2025, 12, 1), (double?)33.33), (new DateOnly(2026, 1, 1), 50)], series!.Select(p => (p.Bucket, p.Value)));

        // CSV: an unknown customer stops the file unless the good rows are asked for; a re-import skips known references.
        const string file = "Customer,Item,Total,Cur,Date,Ref\nC-Cobalt,Helpdesk,40.50,EUR,2026-01-20,ORD-1\nC-Nobody,Helpdesk,10,EUR,2026-01-21,ORD-2\n";
        const string map = "customerRef:Customer,product:Item,amount:Total,currency:Cur,orderedOn:Date,externalRef:Ref";
        HttpContent Csv() => new StringContent(file, Encoding.UTF8, "text/csv");
        var refused = await pm.PostAsync($"/api/v1/orders/import?map={Uri.EscapeDataString(map)}", Csv());
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(new ImportRowProblem(3, "customerRef", "No customer has the reference 'C-Nobody'."), Assert.Single((await refused.ReadAsync<CsvImportResult>()).Rejected));
        var kept = await (await pm.PostAsync($"/api/v1/orders/import?allOrNothing=false&map={Uri.EscapeDataString(map)}", Csv())).ReadAsync<CsvImportResult>();
        Assert.Equal(1, kept.Imported);
        var again = await (await pm.PostAsync($"/api/v1/orders/import?allOrNothing=false&map={Uri.EscapeDataString(map)}", Csv())).ReadAsync<CsvImportResult>();
        Assert.Equal((0, 1), (again.Imported, again.Duplicates));
        Assert.Equal(260.5, await Metric("commerce.revenue", "2026-01-01", "2026-02-01"));

        const string subscriptions = "customerRef,product,monthlyAmount,currency,startedOn,cancelledOn\nC-Delta,Helpdesk,20,EUR,2026-03-01,2026-02-01\n";
        var backwards = await (await pm.PostAsync("/api/v1/subscriptions/import", new StringContent(subscriptions, Encoding.UTF8, "text/csv"))).ReadAsync<CsvImportResult>();
        Assert.Equal("cancelledOn", Assert.Single(backwards.Rejected).Field);

        // The customer page's data, and the roles.
        Assert.Equal(2, (await pm.GetFromJsonAsync<List<OrderDto>>($"/api/v1/orders?customerId={a.Id}", Json.Options))!.Count);
        using var stakeholder = await app.ClientFor(PsmServer.EmailOf(Roles.Stakeholder));
        Assert.Equal(HttpStatusCode.Forbidden, (await stakeholder.PostAsJsonAsync("/api/v1/orders",
            new { customerId = a.Id, productId = product.Id, amount = 5, currency = "EUR", orderedOn = "2026-01-05" })).StatusCode);
        Assert.Equal(2, (await stakeholder.GetFromJsonAsync<List<SubscriptionDto>>($"/api/v1/subscriptions?customerId={b.Id}", Json.Options))!.Count);

        // Churn, repeat purchase and revenue are customer outcomes: every campaign page shows them.
        using var marketer = await app.ClientFor(PsmServer.EmailOf(Roles.Marketer));
        var campaign = await (await marketer.PostAsJsonAsync("/api/v1/campaigns", new
        {
            name = "Winter retention", productId = product.Id, goal = "Retention", channels = new[] { "Email" }, startsOn = "2026-01-01", endsOn = "2026-01-31",
        })).ReadAsync<CampaignDetail>();
        var kpis = (await marketer.GetFromJsonAsync<List<CampaignKpi>>($"/api/v1/campaigns/{campaign.Campaign.Id}/kpis", Json.Options))!;
        var churn = kpis.Single(k => k.Key == "commerce.churn_rate");
        Assert.Equal(50, churn.During.Value);
        Assert.Contains(kpis, k => k.Key == "commerce.repeat_purchase_rate");
        Assert.Contains(kpis, k => k.Key == "commerce.revenue");
    }
}
