using System.Net.Http.Json;

namespace Psm.TestSupport;

/// <summary>
/// Lifetime value is computed from orders and subscriptions, so a test that needs a customer worth an
/// amount records what it bought: one order yesterday, in the reporting currency (EUR), of a product
/// made for the purpose when none exists. The client must be allowed to manage the catalog and commerce.
/// </summary>
public static class Purchases
{
    public static async Task BuyAsync(HttpClient client, Guid customerId, decimal amount)
    {
        var products = (await client.GetFromJsonAsync<Listing>("/api/v1/products?limit=1", Json.Options))!.Items;
        var productId = products.Count > 0
            ? products[0].Id
            : (await (await client.PostAsJsonAsync("/api/v1/products", new { name = "Purchased product", stage = "Growth" }))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<Named>(Json.Options))!.Id;
        var response = await client.PostAsJsonAsync("/api/v1/orders", new
        {
            customerId, productId, amount, currency = "EUR", orderedOn = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(-1),
        });
        response.EnsureSuccessStatusCode();
    }

    private sealed record Named(Guid Id, string Name);

    private sealed record Listing(List<Named> Items);
}
