using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Commerce;

public static class CommerceApi
{
    public static RouteGroupBuilder MapCommerceApi(this RouteGroupBuilder api)
    {
        var orders = api.MapGroup("/orders").WithTags("Orders and subscriptions");
        orders.MapGet("/", (Orders o, Guid? customerId, int? limit, CancellationToken ct) => o.OrdersAsync(customerId, limit ?? 200, ct))
            .WithName("ListOrders").WithSummary("Orders, latest first (up to 1 000), optionally for one customer.");
        orders.MapGet("/export.csv", (HttpContext http, Orders o, Guid? customerId, CancellationToken ct) =>
                Csv.WriteAsync(http.Response, "orders.csv", Orders.OrderExportHeader, o.ExportOrdersAsync(customerId, ct), ct))
            .WithName("ExportOrders").ReadsFromReplica()
            .WithSummary("Exports every order (optionally one customer's) as CSV, oldest first: the import's columns in its formats, then the customer's name and the id.");
        orders.MapPost("/", async (OrderInput input, Orders o, CancellationToken ct) =>
            {
                var order = await o.AddOrderAsync(input, ct);
                return TypedResults.Created($"/api/v1/orders/{order.Id}", order);
            })
            .WithName("AddOrder").WithSummary("Records an order: customer, product (and service), amount, currency, day.")
            .RequireAuthorization(Permissions.CommerceManage);
        orders.MapPost("/import", (HttpRequest request, Orders o, string? map, bool? allOrNothing, CancellationToken ct) =>
                ApiResults.CsvImportAsync(request, map, async (reader, mapping) => await o.ImportOrdersAsync(reader, mapping, allOrNothing ?? true, ct: ct)))
            .WithName("ImportOrders").AllowsLargeUploads()
            .WithSummary("Imports orders from CSV (customerRef, product, amount, currency, orderedOn, externalRef). map=field:Column,...; allOrNothing=false keeps the good rows; known externalRefs are skipped.")
            .RequireAuthorization(Permissions.CommerceManage);

        var subscriptions = api.MapGroup("/subscriptions").WithTags("Orders and subscriptions");
        subscriptions.MapGet("/", (Orders o, Guid? customerId, int? limit, CancellationToken ct) => o.SubscriptionsAsync(customerId, limit ?? 200, ct))
            .WithName("ListSubscriptions").WithSummary("Subscriptions, latest start first (up to 1 000), optionally for one customer.");
        subscriptions.MapGet("/export.csv", (HttpContext http, Orders o, Guid? customerId, CancellationToken ct) =>
                Csv.WriteAsync(http.Response, "subscriptions.csv", Orders.SubscriptionExportHeader, o.ExportSubscriptionsAsync(customerId, ct), ct))
            .WithName("ExportSubscriptions").ReadsFromReplica()
            .WithSummary("Exports every subscription (optionally one customer's) as CSV, earliest start first: the import's columns in its formats, then the customer's name and the id.");
        subscriptions.MapPost("/", async (SubscriptionInput input, Orders o, CancellationToken ct) =>
            {
                var subscription = await o.AddSubscriptionAsync(input, ct);
                return TypedResults.Created($"/api/v1/subscriptions/{subscription.Id}", subscription);
            })
            .WithName("AddSubscription").WithSummary("Records a subscription: customer, product (and service), plan, monthly amount, currency, start, and cancellation if any.")
            .RequireAuthorization(Permissions.CommerceManage);
        subscriptions.MapPost("/{id:guid}/cancel", (Guid id, CancellationInput input, Orders o, CancellationToken ct) => ApiResults.Found(o.CancelAsync(id, input, ct)))
            .WithName("CancelSubscription").WithSummary("Ends a subscription: the day given is the first it no longer runs; a reason helps churn analysis.")
            .RequireAuthorization(Permissions.CommerceManage);
        subscriptions.MapPost("/import", (HttpRequest request, Orders o, string? map, bool? allOrNothing, CancellationToken ct) =>
                ApiResults.CsvImportAsync(request, map, async (reader, mapping) => await o.ImportSubscriptionsAsync(reader, mapping, allOrNothing ?? true, ct: ct)))
            .WithName("ImportSubscriptions").AllowsLargeUploads()
            .WithSummary("Imports subscriptions from CSV (customerRef, product, plan, monthlyAmount, currency, startedOn, cancelledOn, cancelReason, externalRef).")
            .RequireAuthorization(Permissions.CommerceManage);
        return api;
    }
}
