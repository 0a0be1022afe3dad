using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Integrations;

public static class WebhooksApi
{
    /// <summary>Webhook subscriptions (admins only: the group is mapped with integrations.manage).</summary>
    public static RouteGroupBuilder MapWebhooksApi(this RouteGroupBuilder api)
    {
        var hooks = api.MapGroup("/webhooks").WithTags("Webhooks");
        hooks.MapGet("/event-types", () => EventTypes.All).WithName("ListEventTypes")
            .WithSummary("The events PSM sends, with what each means; ForChat marks those a Slack or Teams subscription starts with.");
        hooks.MapGet("/", (Webhooks w, CancellationToken ct) => w.ListAsync(ct)).WithName("ListWebhooks")
            .WithSummary("Subscriptions with their status, events, deliveries waiting and failures in a row (never their secrets).");
        hooks.MapGet("/{id:guid}", (Guid id, Webhooks w, CancellationToken ct) => ApiResults.Found(w.GetAsync(id, ct))).WithName("GetWebhook")
            .WithSummary("One subscription.");
        hooks.MapPost("/", async (WebhookInput input, Webhooks w, CancellationToken ct) =>
            {
                var created = await w.CreateAsync(input, ct);
                return TypedResults.Created($"/api/v1/webhooks/{created.Webhook.Id}", created);
            })
            .WithName("CreateWebhook")
            .WithSummary("Adds a subscription. The answer carries the signing secret, shown this once; events that happen from now on are delivered.")
            .WithDescription("Kind Webhook POSTs PSM's signed JSON envelope; Slack and Teams POST those tools' incoming-webhook message formats. "
                + "Receivers on private or loopback addresses are refused unless the server allows them (Webhooks:AllowPrivateAddresses).");
        hooks.MapPut("/{id:guid}", (Guid id, WebhookInput input, Webhooks w, CancellationToken ct) => ApiResults.Found(w.UpdateAsync(id, input, ct)))
            .WithName("UpdateWebhook").WithSummary("Changes a subscription's name, kind, address or events (the secret stays; rotate it to change it).");
        hooks.MapDelete("/{id:guid}", async Task<Results<NoContent, NotFound>> (Guid id, Webhooks w, CancellationToken ct) =>
                await w.DeleteAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("DeleteWebhook").WithSummary("Deletes a subscription with its queue and delivery log.");
        hooks.MapPost("/{id:guid}/pause", (Guid id, Webhooks w, CancellationToken ct) => ApiResults.Found(w.SetActiveAsync(id, false, ct)))
            .WithName("PauseWebhook").WithSummary("Stops sending; events keep queueing in order.");
        hooks.MapPost("/{id:guid}/resume", (Guid id, Webhooks w, CancellationToken ct) => ApiResults.Found(w.SetActiveAsync(id, true, ct)))
            .WithName("ResumeWebhook").WithSummary("Sends again, the queue first, in the order the events happened.");
        hooks.MapPost("/{id:guid}/rotate-secret", (Guid id, Webhooks w, CancellationToken ct) => ApiResults.Found(w.RotateSecretAsync(id, ct)))
            .WithName("RotateWebhookSecret").WithSummary("Makes a new signing secret (shown this once); deliveries from now on are signed with it.");
        hooks.MapPost("/{id:guid}/test", (Guid id, Webhooks w, CancellationToken ct) => ApiResults.Found(w.SendTestAsync(id, ct)))
            .WithName("TestWebhook").WithSummary("Queues a ping event for this subscription alone, to check the receiver and its signature check.");
        hooks.MapGet("/{id:guid}/deliveries", async Task<Results<Ok<Page<WebhookDeliveryDto>>, NotFound>> (
                Guid id, DeliveryStatus? status, int? limit, string? cursor, Webhooks w, CancellationToken ct) =>
                await w.DeliveriesAsync(id, status, PageRequest.Parse(limit, cursor), ct) is { } page ? TypedResults.Ok(page) : TypedResults.NotFound())
            .WithName("ListWebhookDeliveries").WithSummary("The subscription's deliveries, newest first (a page and the cursor of the next).");
        hooks.MapGet("/deliveries/{deliveryId:guid}", (Guid deliveryId, Webhooks w, CancellationToken ct) => ApiResults.Found(w.DeliveryAsync(deliveryId, ct)))
            .WithName("GetWebhookDelivery").WithSummary("One delivery: the body sent and every attempt (status, latency, the start of the answer).");
        hooks.MapPost("/deliveries/{deliveryId:guid}/replay", (Guid deliveryId, Webhooks w, CancellationToken ct) => ApiResults.Found(w.ReplayAsync(deliveryId, ct)))
            .WithName("ReplayWebhookDelivery").WithSummary("Sends a delivery's event again, whatever its status, with the same event id (at the end of the queue).");
        return api;
    }
}
