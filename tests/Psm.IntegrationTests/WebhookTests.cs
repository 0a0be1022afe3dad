using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Integrations;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.IntegrationTests;

public sealed class WebhookTests
{
    private static Dictionary<string, string?> Fast(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Webhooks:AllowPrivateAddresses"] = "true", ["Webhooks:PollSeconds"] = "0.2", ["Webhooks:FirstRetrySeconds"] = "0.2",
            ["Webhooks:ObjectiveWatchSeconds"] = "0", ["Sla:MonitorSeconds"] = "0", ["Outbox:SendSeconds"] = "0",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }

    private static async Task<WebhookCreated> SubscribeAsync(HttpClient admin, string url, string[] events, string kind = "Webhook", string name = "Receiver")
    {
        var response = await admin.PostAsJsonAsync("/api/v1/webhooks", new { name, kind, url, events });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.ReadAsync<WebhookCreated>();
    }

    private static async Task<TicketDto> TicketAsync(HttpClient agent, HttpClient pm, string subject)
    {
        var made = await pm.PostAsJsonAsync("/api/v1/customers", new { name = $"Customer {Guid.NewGuid():N}"[..20], email = $"{Guid.NewGuid():N}@example.com", country = "DE" });
        Assert.True(made.StatusCode == HttpStatusCode.Created, await made.Content.ReadAsStringAsync());
        var customer = await made.ReadAsync<CustomerDto>();
        var response = await agent.PostAsJsonAsync("/api/v1/tickets", new { subject, customerId = customer.Id, priority = "High" });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return await response.ReadAsync<TicketDto>();
    }

    /// <summary>What a receiver does with the PSM-Signature header (as the README shows): recompute and compare in constant time.</summary>
    private static bool Verifies(string secret, Receiver.Request request)
    {
        var age = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - long.Parse(request.SignaturePart("t"), System.Globalization.CultureInfo.InvariantCulture);
        return Math.Abs(age) < 300 && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            Convert.FromHexString(request.ExpectedSignature(secret)), Convert.FromHexString(request.SignaturePart("v1")));
    }

    [Fact]
    public async Task EventsArriveSignedAReceiverThatFailsThreeTimesGetsTheEventOnceAndAReplaySendsItAgain()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = n => n < 3 ? 500 : 200;
        await using var app = new PsmServer(Fast());
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        // Only admins manage subscriptions.
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/v1/webhooks")).StatusCode);
        var created = await SubscribeAsync(admin, receiver.Url, [EventTypes.TicketCreated, EventTypes.TicketResolved]);
        Assert.StartsWith("whsec_", created.Secret);
        Assert.DoesNotContain(created.Secret, await admin.GetStringAsync("/api/v1/webhooks"));

        var ticket = await TicketAsync(agent, pm, "The export hangs");
        var got = await receiver.WaitForAsync(r => r.Any(x => x.Answered == 200), "the ticket.created event answered 200");
        Assert.Equal(4, got.Count);
        Assert.Single(got.Select(r => r.EventId).Distinct());
        Assert.All(got, r => Assert.True(Verifies(created.Secret, r), "The signature verifies with the subscription's secret."));
        Assert.False(Verifies("whsec_another", got[^1]));
        var envelope = JsonDocument.Parse(got[^1].Body).RootElement;
        Assert.Equal(EventTypes.TicketCreated, envelope.GetProperty("type").GetString());
        Assert.Equal(got[^1].EventId, envelope.GetProperty("id").GetString());
        Assert.Equal(1, envelope.GetProperty("version").GetInt32());
        Assert.Equal($"{ticket.Summary.Key}", envelope.GetProperty("data").GetProperty("key").GetString());
        Assert.EndsWith($"/service/tickets/{ticket.Summary.Id}", envelope.GetProperty("url").GetString());

        // The log: one delivery, delivered, four attempts (three 500s, one 200) with latency and the answer's start.
        var page = await admin.GetFromJsonAsync<Page<WebhookDeliveryDto>>($"/api/v1/webhooks/{created.Webhook.Id}/deliveries", Json.Options);
        var delivery = Assert.Single(page!.Items);
        Assert.Equal(DeliveryStatus.Delivered, delivery.Status);
        var detail = await admin.GetFromJsonAsync<WebhookDeliveryDetail>($"/api/v1/webhooks/deliveries/{delivery.Id}", Json.Options);
        Assert.Equal([500, 500, 500, 200], detail!.Attempts.Select(a => a.StatusCode ?? 0));
        // The delivery's own figures come from its last attempt (a batch's successes are written in one statement).
        Assert.Equal((4, 200, (string?)null), (delivery.Attempts, delivery.LastStatusCode, delivery.LastError));
        Assert.Equal(detail.Attempts.Max(a => a.At), delivery.DeliveredAt);
        Assert.Equal("receiver is down", detail.Attempts[0].Response);
        Assert.Equal(got[^1].Body, detail.Body);

        // A ticket.status_changed is not subscribed: nothing more arrives for the resolution but ticket.resolved.
        (await agent.PutAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/status", new { status = "Resolved" })).EnsureSuccessStatusCode();
        got = await receiver.WaitForAsync(r => r.Any(x => x.EventType == EventTypes.TicketResolved), "ticket.resolved");
        Assert.Equal(5, got.Count);

        // Replay: the same event id again, as a new delivery that says what it replays.
        var replay = await (await admin.PostAsync($"/api/v1/webhooks/deliveries/{delivery.Id}/replay", null)).ReadAsync<WebhookDeliveryDto>();
        Assert.Equal(delivery.Id, replay.ReplayOf);
        got = await receiver.WaitForAsync(r => r.Count == 6, "the replay");
        Assert.Equal(got[0].EventId, got[^1].EventId);
        Assert.Equal(got[0].Body, got[^1].Body);
    }

    [Fact]
    public async Task AnEventWrittenBeforeTheAppStoppedIsDeliveredAfterItStartsAgain()
    {
        await using var receiver = await Receiver.StartAsync();
        // The first instance makes the change with its deliverer off, and stops; a later start on the same database delivers.
        await using var holder = new PsmServer(Fast(new() { ["Webhooks:PollSeconds"] = "0" }));
        var first = new PsmServer(Fast(new(holder.SameDatabase()) { ["Webhooks:PollSeconds"] = "0" }));
        using (var admin = await first.ClientFor(PsmServer.EmailOf(Roles.Admin)))
        using (var agent = await first.ClientFor(PsmServer.EmailOf(Roles.SupportAgent)))
        using (var pm = await first.ClientFor(PsmServer.EmailOf(Roles.ProductManager)))
        {
            await SubscribeAsync(admin, receiver.Url, [EventTypes.TicketCreated]);
            await TicketAsync(agent, pm, "Written before the crash");
        }

        await first.DisposeAsync();
        await Task.Delay(500);
        Assert.Empty(receiver.Requests);

        await using var restarted = new PsmServer(Fast(holder.SameDatabase()));
        var got = await receiver.WaitForAsync(r => r.Count >= 1, "the event after the restart");
        Assert.Equal(EventTypes.TicketCreated, got[0].EventType);
        Assert.Contains("Written before the crash", got[0].Body);
    }

    [Fact]
    public async Task TwoInstancesOnOneDatabaseDeliverEachEventOnce()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var one = new PsmServer(Fast(new() { ["Webhooks:PollSeconds"] = "0.05" }));
        await using var two = new PsmServer(Fast(new(one.SameDatabase()) { ["Webhooks:PollSeconds"] = "0.05" }));
        using var admin = await one.ClientFor(PsmServer.EmailOf(Roles.Admin));
        await SubscribeAsync(admin, receiver.Url, [EventTypes.FeedbackCreated]);
        using var pmOne = await one.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var pmTwo = await two.ClientFor(PsmServer.EmailOf(Roles.ProductManager));

        const int Count = 40;
        await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, ct) =>
        {
            var response = await (i % 2 == 0 ? pmOne : pmTwo).PostAsJsonAsync("/api/v1/feedback", new { text = $"Feedback number {i} about exports", channel = "Email" }, ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        });

        await receiver.WaitForAsync(r => r.Select(x => x.EventId).Distinct().Count() == Count, $"{Count} distinct events");
        await Task.Delay(1000);
        var all = receiver.Requests.ToList();
        Assert.Equal(Count, all.Count);
        Assert.Equal(Count, all.Select(r => r.EventId).Distinct().Count());
    }

    [Fact]
    public async Task AReceiverFailingForTheWholeRetryWindowPausesTheSubscriptionAndTellsTheAdmins()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Answer = _ => 503;
        // A retry window of about two seconds stands for the 24 hours.
        await using var app = new PsmServer(Fast(new() { ["Webhooks:RetryForHours"] = "0.0006" }));
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var created = await SubscribeAsync(admin, receiver.Url, [EventTypes.TicketCreated]);
        await TicketAsync(agent, pm, "First, never answered");

        WebhookDto? hook = null;
        for (var i = 0; i < 100 && hook?.Status != WebhookStatus.Paused; i++)
        {
            await Task.Delay(100);
            hook = await admin.GetFromJsonAsync<WebhookDto>($"/api/v1/webhooks/{created.Webhook.Id}", Json.Options);
        }

        Assert.Equal(WebhookStatus.Paused, hook!.Status);
        Assert.Contains("503", hook.PausedReason);
        Assert.True(receiver.Requests.Count >= 2, "It was tried again before giving up.");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PsmDb>();
            var adminId = await db.Users.Where(u => u.Email == PsmServer.EmailOf(Roles.Admin)).Select(u => u.Id).SingleAsync();
            Assert.Contains(await db.Notifications.Where(n => n.UserId == adminId).Select(n => n.Text).ToListAsync(), t => t.Contains("Receiver") && t.Contains("paused"));
        }

        // While paused, new events queue and nothing is sent; resumed, they are sent in order; the failed one can be sent again.
        receiver.Answer = _ => 200;
        var tried = receiver.Requests.Count;
        await TicketAsync(agent, pm, "Second, while paused");
        await TicketAsync(agent, pm, "Third, while paused");
        await Task.Delay(800);
        Assert.Equal(tried, receiver.Requests.Count);
        Assert.Equal(2, (await admin.GetFromJsonAsync<WebhookDto>($"/api/v1/webhooks/{created.Webhook.Id}", Json.Options))!.Queued);

        (await admin.PostAsync($"/api/v1/webhooks/{created.Webhook.Id}/resume", null)).EnsureSuccessStatusCode();
        var got = await receiver.WaitForAsync(r => r.Count(x => x.Answered == 200) == 2, "the two queued events");
        Assert.Equal(["Second, while paused", "Third, while paused"],
            got.Where(r => r.Answered == 200).Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetProperty("subject").GetString()));

        var failed = (await admin.GetFromJsonAsync<Page<WebhookDeliveryDto>>($"/api/v1/webhooks/{created.Webhook.Id}/deliveries?status=Failed", Json.Options))!.Items.Single();
        (await admin.PostAsync($"/api/v1/webhooks/deliveries/{failed.Id}/replay", null)).EnsureSuccessStatusCode();
        got = await receiver.WaitForAsync(r => r.Count(x => x.Answered == 200) == 3, "the replayed event");
        Assert.Contains("First, never answered", got.Last(r => r.Answered == 200).Body);
    }

    [Fact]
    public async Task PrivateAndLoopbackReceiversAreRefusedUnlessTheServerAllowsThem()
    {
        await using var app = new PsmServer(new() { ["Webhooks:PollSeconds"] = "0" });
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        foreach (var url in new[] { "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.0.0.7/hook", "http://192.168.1.20/hook", "http://169.254.169.254/latest", "http://[::1]/hook", "http://[fd00::1]/hook" })
        {
            var response = await admin.PostAsJsonAsync("/api/v1/webhooks", new { name = "Inside", kind = "Webhook", url, events = new[] { EventTypes.TicketCreated } });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("url", (await Problems.Errors(response)).Keys);
        }

        var bad = await admin.PostAsJsonAsync("/api/v1/webhooks", new { name = "Bad", kind = "Webhook", url = "ftp://x", events = new[] { "ticket.exploded" }, secret = "short" });
        var errors = await Problems.Errors(bad);
        Assert.Equal(["events[0]", "secret", "url"], errors.Keys.Order().ToArray());
        Assert.Empty(await admin.GetFromJsonAsync<List<WebhookDto>>("/api/v1/webhooks", Json.Options) ?? []);

        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/webhooks", new { name = "Public", kind = "Webhook", url = "https://203.0.113.10/hook", events = new[] { EventTypes.TicketCreated } })).StatusCode);
        Assert.False(WebhookAddressGuard.IsPublic(IPAddress.Parse("::ffff:10.1.2.3")));
        Assert.False(WebhookAddressGuard.IsPublic(IPAddress.Parse("100.64.0.1")));
        Assert.True(WebhookAddressGuard.IsPublic(IPAddress.Parse("2001:4860:4860::8888")));
    }

    [Fact]
    public async Task SlackAndTeamsSubscriptionsGetTheirOwnMessageFormats()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var app = new PsmServer(Fast());
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        await SubscribeAsync(admin, receiver.Url + "/slack", [EventTypes.TicketEscalated], "Slack", "Support channel");
        await SubscribeAsync(admin, receiver.Url + "/teams", [EventTypes.TicketEscalated], "Teams", "Leads team");
        var ticket = await TicketAsync(agent, pm, "Invoices are wrong");
        (await agent.PostAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/escalations", new { reason = "Customer threatens to cancel" })).EnsureSuccessStatusCode();

        var got = await receiver.WaitForAsync(r => r.Count == 2, "a Slack and a Teams message");
        var slack = JsonDocument.Parse(got.Single(r => r.Body.Contains("\"text\"") && !r.Body.Contains("MessageCard")).Body).RootElement;
        Assert.Equal($"*<{app.BaseAddress.ToString().TrimEnd('/')}/service/tickets/{ticket.Summary.Id}|{ticket.Summary.Key} escalated to level 1>*\nInvoices are wrong (by hand)", slack.GetProperty("text").GetString());
        var teams = JsonDocument.Parse(got.Single(r => r.Body.Contains("MessageCard")).Body).RootElement;
        Assert.Equal($"{ticket.Summary.Key} escalated to level 1", teams.GetProperty("title").GetString());
        Assert.EndsWith($"/service/tickets/{ticket.Summary.Id}", teams.GetProperty("potentialAction")[0].GetProperty("targets")[0].GetProperty("uri").GetString());
        Assert.All(got, r => Assert.Null(r.Signature));
    }

    [Fact]
    public async Task EachKindOfChangeArrivesAsItsEvent()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var app = new PsmServer(Fast(new() { ["Webhooks:ObjectiveWatchSeconds"] = "0.3" }));
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var all = EventTypes.All.Select(t => t.Type).ToArray();
        await SubscribeAsync(admin, receiver.Url, all);

        async Task<System.Text.Json.Nodes.JsonObject> PostAsync(string path, object body)
        {
            var response = await admin.PostAsJsonAsync(path, body);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {await response.Content.ReadAsStringAsync()}");
            return (await response.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!;
        }

        static string Id(System.Text.Json.Nodes.JsonObject o) => (string)(o["id"] ?? o["summary"]!["id"])!;

        await PostAsync("/api/v1/feedback", new { text = "The new dashboard loads slowly on Mondays.", channel = "InApp" });
        await PostAsync("/api/v1/decisions", new { title = "Move exports to streaming", outcome = "Stream them.", rationale = "Fixes the cause.", decidedBy = "Product council" });
        var customer = await PostAsync("/api/v1/customers", new { name = "Birch Foods", email = "hi@birch.example", country = "NL" });
        await PostAsync($"/api/v1/customers/{Id(customer)}/consent", new { purpose = "Marketing", granted = true, source = "Newsletter form" });
        var survey = await PostAsync("/api/v1/surveys", new { name = "Support CSAT", kind = "Csat", question = "How satisfied are you with our support?" });
        await PostAsync($"/api/v1/surveys/{Id(survey)}/responses", new { score = 5, comment = "Quick and kind." });
        var initiative = await PostAsync("/api/v1/initiatives", new { title = "Offline mode", team = "Mobile" });
        await PostAsync($"/api/v1/initiatives/{Id(initiative)}/status", new { status = "Backlog" });

        // An objective two-thirds through its period: at risk with no progress (the first look is the baseline), back on
        // track after a good check-in, at risk again after a bad one: that turn is the event.
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var objective = await PostAsync("/api/v1/objectives", new { title = "Halve export complaints", type = "CustomerSatisfaction", periodStart = today.AddDays(-60), periodEnd = today.AddDays(30) });
        var kr = await PostAsync($"/api/v1/objectives/{Id(objective)}/key-results", new { title = "Exports under 10 s", baseline = 0, target = 100, unit = "%", direction = "Up" });
        await PostAsync($"/api/v1/objectives/{Id(objective)}/activate", new { confirmSmartFailures = true });
        await Task.Delay(1000);
        await PostAsync($"/api/v1/key-results/{Id(kr)}/check-ins", new { value = 90, confidence = "OnTrack" });
        await Task.Delay(1000);
        await PostAsync($"/api/v1/key-results/{Id(kr)}/check-ins", new { value = 5, confidence = "OffTrack" });

        var got = await receiver.WaitForAsync(r => r.Any(x => x.EventType == EventTypes.ObjectiveAtRisk), "objective.at_risk", 20);
        var types = got.Select(r => r.EventType).ToHashSet();
        foreach (var expected in new[]
                 {
                     EventTypes.FeedbackCreated, EventTypes.DecisionRecorded, EventTypes.CustomerConsentChanged, EventTypes.SurveyResponseReceived,
                     EventTypes.InitiativeStatusChanged, EventTypes.KeyResultCheckedIn, EventTypes.ObjectiveAtRisk,
                 })
        {
            Assert.Contains(expected, types);
        }

        Assert.Single(got, r => r.EventType == EventTypes.ObjectiveAtRisk);
        var risk = JsonDocument.Parse(got.Single(r => r.EventType == EventTypes.ObjectiveAtRisk).Body).RootElement.GetProperty("data");
        Assert.Equal("Halve export complaints", risk.GetProperty("name").GetString());
        Assert.Equal(5, risk.GetProperty("progressPercent").GetDouble());
        var move = JsonDocument.Parse(got.Single(r => r.EventType == EventTypes.InitiativeStatusChanged).Body).RootElement.GetProperty("data");
        Assert.Equal("Backlog", move.GetProperty("to").GetString());
        Assert.Equal(2, got.Count(r => r.EventType == EventTypes.KeyResultCheckedIn));
    }
}
