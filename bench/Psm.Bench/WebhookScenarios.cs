using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Integrations;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Http;

namespace Psm.Bench;

/// <summary>Webhook delivery against a bare HttpClient loop, and the cost of writing a ticket's event with the ticket.</summary>
public static class WebhookScenarios
{
    public const string Delivery = "webhook-delivery";
    public const string EventWrite = "ticket-create-with-event";

    private static IConfiguration Settings() => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Webhooks:AllowPrivateAddresses"] = "true", ["PublicUrl"] = "https://psm.example.com",
    }).Build();

    /// <summary>A receiver on loopback that reads each body and answers 200, as a customer's endpoint would.</summary>
    private static async Task<(WebApplication App, string Url)> ReceiverAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/hook", async (HttpContext http) =>
        {
            await http.Request.Body.CopyToAsync(Stream.Null);
            return Results.Ok();
        });
        await app.StartAsync();
        return (app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook");
    }

    public static async Task<ScenarioResult> RunDeliveryAsync(string provider, int events)
    {
        var (receiver, url) = await ReceiverAsync();
        await using var _ = receiver;
        await using var database = await BenchDatabase.CreateAsync(provider);
        var dbs = database.Factory();
        var settings = Settings();
        var secrets = new WebhookSecrets(DataProtectionProvider.Create("psm-bench"));
        using var guard = new WebhookAddressGuard(settings);
        var deliverer = new WebhookDeliverer(dbs, secrets, guard, new PublicAddress(settings), TimeProvider.System, settings, NullLogger<WebhookDeliverer>.Instance);
        const string Secret = "whsec_bench_secret_0123456789";
        var now = DateTimeOffset.UtcNow;
        await using (var db = await dbs.CreateDbContextAsync())
        {
            var subscription = new WebhookSubscription
            {
                Name = "Bench", Kind = WebhookKind.Webhook, Url = url, SecretCipher = secrets.Protect(Secret), Events = EventTypes.TicketCreated, CreatedAt = now.AddMinutes(-1),
            };
            db.WebhookSubscriptions.Add(subscription);
            db.WebhookCursors.Add(new WebhookCursor { SubscriptionId = subscription.Id });
            await db.SaveChangesAsync();
        }

        // The events, as ticket creation writes them (setup, not measured).
        var written = new List<WebhookEvent>(events);
        foreach (var chunk in Enumerable.Range(0, events).Chunk(2000))
        {
            await using var db = await dbs.CreateDbContextAsync();
            db.SuppressEvents = true;
            foreach (var i in chunk)
            {
                var ticket = new Ticket
                {
                    Number = 1000 + i, Subject = $"Export number {i} hangs after the November release", CustomerId = Guid.NewGuid(), Priority = TicketPriority.High,
                    Channel = TicketChannel.Email, CreatedAt = now.AddSeconds(i),
                };
                var e = new WebhookEvent { Type = EventTypes.TicketCreated, OccurredAt = ticket.CreatedAt, Data = EventTypes.Serialize(EventInterceptor.TicketData(ticket)) };
                written.Add(e);
                db.WebhookEvents.Add(e);
            }

            await db.SaveChangesAsync();
        }

        // The limit: the same signed bodies POSTed one after the other with a bare HttpClient, each answer read.
        var bodies = written.Select(e => deliverer.Body(WebhookKind.Webhook, e.Id, e.Type, e.OccurredAt, e.Data)).ToList();
        using var bare = new HttpClient();
        var raw = await Measurement.OfAsync(async () =>
        {
            foreach (var (body, e) in bodies.Zip(written))
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Add("PSM-Event-Id", e.Id.ToString());
                request.Headers.Add("PSM-Signature", WebhookSecrets.Sign(Secret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body));
                using var response = await bare.SendAsync(request);
                response.EnsureSuccessStatusCode();
            }
        });

        WebhookRunResult? result = null;
        var psm = await Measurement.OfAsync(async () => result = await deliverer.RunAsync());
        await using (var db = await dbs.CreateDbContextAsync())
        {
            var delivered = await db.WebhookDeliveries.CountAsync(d => d.Status == DeliveryStatus.Delivered);
            if (delivered != events)
            {
                throw new InvalidOperationException($"The deliverer delivered {delivered} of {events} ({result}).");
            }
        }

        return new ScenarioResult(Delivery, provider, events, "events/s", psm, raw, events / psm.Elapsed.TotalSeconds, events / raw.Elapsed.TotalSeconds,
            "bare HttpClient loop POSTing the same signed bodies to the same receiver");
    }

    /// <summary>Tickets saved one by one as the app saves them (with their audit entries), with and without the event written beside each.</summary>
    public static async Task<ScenarioResult> RunEventWriteAsync(string provider, int tickets)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var customer = new Customer { Name = "Bench customer", Email = "accounts@customer.test", Country = "DE", CreatedAt = DateTimeOffset.UtcNow };
        await using (var db = await database.Factory().CreateDbContextAsync())
        {
            db.Customers.Add(customer);
            await db.SaveChangesAsync();
        }

        var number = 1000;
        async Task CreateAsync(Microsoft.EntityFrameworkCore.IDbContextFactory<Psm.Web.Data.PsmDb> dbs)
        {
            for (var i = 0; i < tickets; i++)
            {
                await using var db = await dbs.CreateDbContextAsync();
                var now = DateTimeOffset.UtcNow;
                var ticket = new Ticket
                {
                    Number = ++number, Subject = $"Invoice export number {i} fails", Description = "The export button does nothing since the update.", CustomerId = customer.Id,
                    Priority = TicketPriority.Normal, Channel = TicketChannel.Api, CreatedAt = now,
                };
                db.Tickets.Add(ticket);
                db.TicketEvents.Add(new TicketEvent { TicketId = ticket.Id, At = now, Kind = TicketEventKind.Created, Actor = "bench", Text = "Opened by the API." });
                await db.SaveChangesAsync();
            }
        }

        // Alternate twice so neither side profits from a warmer cache alone.
        var without = new List<Measurement>();
        var with = new List<Measurement>();
        for (var round = 0; round < 2; round++)
        {
            without.Add(await Measurement.OfAsync(() => CreateAsync(database.FactoryWithoutEvents())));
            with.Add(await Measurement.OfAsync(() => CreateAsync(database.Factory())));
        }

        var psm = with.OrderBy(m => m.Elapsed).First();
        var raw = without.OrderBy(m => m.Elapsed).First();
        return new ScenarioResult(EventWrite, provider, tickets, "tickets/s", psm, raw, tickets / psm.Elapsed.TotalSeconds, tickets / raw.Elapsed.TotalSeconds,
            "the same ticket saves without the event (audit entries in both)");
    }
}
