using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Chat;
using Psm.Web.Features.Customers;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>
/// Two PSM processes behind a real HAProxy (deploy/haproxy.cfg.template) on one database, as docs/operations.md deploys
/// them: writes survive an instance killed mid-load, periodic jobs run once across instances and move to the survivor when
/// their holder is killed, the public links' limits are one per client address across instances, and a chat's visitor and
/// agent hear each other from different instances.
/// </summary>
public sealed class ClusterTests
{
    private const string Instance = "X-Psm-Instance";

    [Fact]
    public async Task AWriteLoadThroughTheBalancerKeepsEveryAcknowledgedWriteOnceWhenAnInstanceIsKilled()
    {
        await using var cluster = await PsmCluster.StartAsync();
        var key = await cluster.Owner.IssueKeyAsync(PsmServer.EmailOf(Roles.ProductManager));
        var run = Guid.NewGuid().ToString("N")[..8];
        const int writes = 240, workers = 6, killAfter = 80;
        var acknowledged = new ConcurrentDictionary<string, string>();
        var unanswered = new ConcurrentBag<string>();
        var killedAt = -1;
        var next = -1;
        using var client = cluster.Client();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);

        async Task Worker()
        {
            while (Interlocked.Increment(ref next) is var i && i < writes)
            {
                var text = $"Cluster write {run} #{i:D3}: the export page should remember my columns";
                var idempotency = Guid.NewGuid().ToString();
                var answeredBy = await WriteAsync(client, text, idempotency);
                if (answeredBy is null)
                {
                    unanswered.Add(text);
                    continue;
                }

                acknowledged[text] = answeredBy;
                if (acknowledged.Count == killAfter && Interlocked.CompareExchange(ref killedAt, i, -1) == -1)
                {
                    cluster.Instances[0].Kill();
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(Worker)));

        Assert.True(killedAt >= 0, "The instance was never killed.");
        Assert.True(cluster.Instances[0].HasExited);
        // Before the kill both instances answered.
        var byInstance = acknowledged.Values.GroupBy(v => v).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(byInstance.ContainsKey("app1") && byInstance.ContainsKey("app2"), "Answered by: " + string.Join(", ", byInstance));
        // A write in flight on the killed instance may stay unanswered (its Idempotency-Key is held by the dead request): at most one per worker.
        Assert.True(unanswered.Count <= workers, $"{unanswered.Count} writes never answered.");
        Assert.Equal(writes, acknowledged.Count + unanswered.Count);

        await using var scope = cluster.Owner.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        var stored = (await db.Feedback.AsNoTracking().Where(f => f.Text.StartsWith($"Cluster write {run} ")).Select(f => f.Text).ToListAsync())
            .GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(acknowledged.Keys, text => Assert.True(stored.GetValueOrDefault(text) == 1, $"'{text}' is stored {stored.GetValueOrDefault(text)} times."));
        Assert.All(stored, pair => Assert.Equal(1, pair.Value));
        Assert.True(stored.Count <= writes);
    }

    /// <summary>
    /// Posts one feedback item through the balancer until it is answered, with the same Idempotency-Key every time: a retry
    /// after a dropped connection or a 502/503 from the balancer gets the first answer again rather than a second item.
    /// Returns the instance that answered, or null when the key stays held by a request the killed instance never finished.
    /// </summary>
    private static async Task<string?> WriteAsync(HttpClient client, string text, string idempotency)
    {
        var held = 0;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/feedback")
            {
                Content = JsonContent.Create(new { text, channel = "Email" }),
            };
            request.Headers.Add("Idempotency-Key", idempotency);
            try
            {
                using var response = await client.SendAsync(request);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    return response.Headers.GetValues(Instance).Single();
                }

                if (response.StatusCode == HttpStatusCode.Conflict && ++held > 20)
                {
                    return null;
                }

                Assert.True(
                    response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout,
                    $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
            catch (HttpRequestException)
            {
                // The connection dropped with the instance: send it again.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"'{text}' was not answered in 200 attempts.");
    }

    [Fact]
    public async Task TheSlaMonitorActsOnceAcrossInstancesAndTheSurvivorTakesOverWhenItsHolderIsKilled()
    {
        // Both instances tick the SLA monitor and the rollups every second; only the holder of each job's lease runs it.
        await using var cluster = await PsmCluster.StartAsync(settings: new() { ["Sla:MonitorSeconds"] = "1", ["Rollups:Seconds"] = "1" });
        using var admin = await cluster.Owner.ClientFor(PsmServer.EmailOf(Roles.Admin));
        using var agent = await cluster.Owner.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        // A desk open around the clock (00:00-23:59) in a time zone where the next few minutes are not near midnight, and
        // urgent tickets answered within one minute: they are "about to breach" 48 s after they open and breach at 60 s.
        var zone = DateTime.UtcNow.Hour is >= 2 and < 21 ? "UTC" : "Asia/Tokyo";
        var calendar = await (await admin.PostAsJsonAsync("/api/v1/sla/calendars", new
        {
            name = "Around the clock", timeZoneId = zone, opens = "00:00", closes = "23:59",
            workingDays = new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" },
        })).ReadAsync<ServiceCalendarDto>();
        (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "Urgent", priority = "Urgent", firstResponseMinutes = 1, resolutionMinutes = 600, calendarId = calendar.Id }))
            .EnsureSuccessStatusCode();
        var customer = await (await agent.PostAsJsonAsync("/api/v1/customers", new { name = "Aurora", email = "ops@aurora.example", country = "DE", plan = "Pro" }))
            .ReadAsync<CustomerDto>();
        var tickets = new List<Guid>();
        for (var i = 0; i < 5; i++)
        {
            var ticket = await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = $"Checkout fails for region {i}", customerId = customer.Id, priority = "Urgent" }))
                .ReadAsync<TicketDto>();
            Assert.NotNull(ticket.Sla?.FirstResponseDueAt);
            tickets.Add(ticket.Summary.Id);
        }

        // With both instances up, one holds the monitor and runs it at most once a second: two would count about twice as many.
        var holding = await JobsTests.WaitForJobAsync(admin, "SlaMonitor", j => j.Runs >= 2 && j.Holder is not null, TimeSpan.FromSeconds(30));
        var holder = cluster.Instances.Single(i => holding.Holder!.Split('/')[1] == i.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var survivor = cluster.Instances.Single(i => i != holder);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(5));
        var later = await JobsTests.JobAsync(admin, "SlaMonitor");
        Assert.InRange(later.Runs - holding.Runs, 1, (long)Math.Ceiling(watch.Elapsed.TotalSeconds) + 1);
        Assert.Equal(holding.Holder, later.LastRunBy);

        // The near-breach escalation (read, then written: only the lease keeps two runs from escalating twice) happens while
        // both are up; then the holder is killed without giving its leases up.
        await WaitForEffectsAsync(cluster, tickets, "Escalated: about to breach%", TimeSpan.FromSeconds(75));
        holder.Kill();

        // The survivor takes the monitor over once the dead holder's lease runs out (30 s) and records the breaches.
        await WaitForEffectsAsync(cluster, tickets, "First-response target missed%", TimeSpan.FromSeconds(75));
        var taken = await JobsTests.WaitForJobAsync(admin, "SlaMonitor", j => j.LastRunBy == j.Holder && j.Holder!.Contains($"/{survivor.ProcessId}/", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Null(taken.LastError);
        await JobsTests.WaitForJobAsync(admin, "Rollup", j => j.LastRunBy?.Contains($"/{survivor.ProcessId}/", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(45));

        // Each effect happened once: one escalation and one breach per ticket, in the timeline and as webhook events, and the
        // survivor's later runs add nothing.
        await Task.Delay(TimeSpan.FromSeconds(3));
        await using var scope = cluster.Owner.Services.CreateAsyncScope();
        await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
        var events = await db.TicketEvents.AsNoTracking().Where(e => tickets.Contains(e.TicketId) && e.Actor == "SLA monitor")
            .Select(e => new { e.TicketId, e.Text }).ToListAsync();
        foreach (var ticket in tickets)
        {
            Assert.Single(events, e => e.TicketId == ticket && e.Text.StartsWith("Escalated: about to breach", StringComparison.Ordinal));
            Assert.Single(events, e => e.TicketId == ticket && e.Text.StartsWith("First-response target missed", StringComparison.Ordinal));
        }

        Assert.Equal(10, events.Count);
        var levels = await db.Tickets.AsNoTracking().Where(t => tickets.Contains(t.Id)).Select(t => t.EscalationLevel).ToListAsync();
        Assert.All(levels, level => Assert.Equal(2, level));
        var webhookEvents = await db.WebhookEvents.AsNoTracking()
            .Where(e => e.Type == Psm.Web.Features.Integrations.EventTypes.TicketSlaBreached || e.Type == Psm.Web.Features.Integrations.EventTypes.TicketEscalated)
            .Select(e => new { e.Type, e.Data }).ToListAsync();
        foreach (var ticket in tickets)
        {
            var id = ticket.ToString();
            Assert.Single(webhookEvents, e => e.Type == Psm.Web.Features.Integrations.EventTypes.TicketSlaBreached && e.Data.Contains(id, StringComparison.OrdinalIgnoreCase));
            Assert.Single(webhookEvents, e => e.Type == Psm.Web.Features.Integrations.EventTypes.TicketEscalated && e.Data.Contains(id, StringComparison.OrdinalIgnoreCase));
        }
    }

    /// <summary>Waits until every ticket has a timeline entry from the SLA monitor whose text is like <paramref name="like"/>.</summary>
    private static async Task WaitForEffectsAsync(PsmCluster cluster, List<Guid> tickets, string like, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            await using var scope = cluster.Owner.Services.CreateAsyncScope();
            await using var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>().CreateDbContextAsync();
            var done = await db.TicketEvents.AsNoTracking()
                .Where(e => tickets.Contains(e.TicketId) && e.Actor == "SLA monitor" && EF.Functions.Like(e.Text, like))
                .Select(e => e.TicketId).Distinct().CountAsync();
            if (done == tickets.Count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{done} of {tickets.Count} tickets have an SLA monitor entry like '{like}'.");
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task PublicLinksAreLimitedPerForwardedClientAddressAcrossInstances()
    {
        await using var cluster = await PsmCluster.StartAsync(settings: new() { ["Surveys:PublicAnswersPerMinute"] = "6" });
        // The limit counts in one-minute windows: start early in one, so that the requests below fall into it.
        if (DateTime.UtcNow.Second > 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - DateTime.UtcNow.Second));
        }

        using var office = cluster.Client(from: "127.0.0.2");
        var answers = new List<(HttpStatusCode Status, string Instance)>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await office.GetAsync($"/api/v1/public/surveys/no-such-link-{i}");
            answers.Add((response.StatusCode, response.Headers.GetValues(Instance).Single()));
        }

        // Round robin sent the requests to both instances, and between them they let six through, not six each.
        Assert.Equal(2, answers.Select(a => a.Instance).Distinct().Count());
        Assert.Equal(Enumerable.Repeat(HttpStatusCode.NotFound, 6).Concat(Enumerable.Repeat(HttpStatusCode.TooManyRequests, 4)), answers.Select(a => a.Status));

        // Another client address (forwarded by the balancer in X-Forwarded-For) has its own count.
        using var home = cluster.Client(from: "127.0.0.3");
        using var other = await home.GetAsync("/api/v1/public/surveys/no-such-link");
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        using var limited = await office.GetAsync("/api/v1/public/surveys/no-such-link");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
    }

    [Fact]
    public async Task AChatVisitorOnOneInstanceAndItsAgentOnAnotherHearEachOtherAndAgentsGetNoMoreChatsThanTheirLimit()
    {
        await using var cluster = await PsmCluster.StartAsync(settings: new() { ["Sla:MonitorSeconds"] = "0" });
        // PostgreSQL carries chat events between instances (ADR-023). SQLite is one file on one machine, and its chat runs on
        // one instance (docs/operations.md): there the agent uses the visitor's instance.
        var visitorSide = cluster.Instances[0];
        var agentSide = TestProvider.IsPostgres ? cluster.Instances[1] : cluster.Instances[0];
        const string shop = "https://shop.example.com";
        HttpClient ClientOf(PsmProcess instance, string? key = null)
        {
            var client = new HttpClient { BaseAddress = instance.Address };
            client.DefaultRequestHeaders.Add(key is null ? "Origin" : "X-Api-Key", key ?? shop);
            return client;
        }

        using var visitor = ClientOf(visitorSide);
        using var otherVisitor = ClientOf(agentSide);
        using var lead = ClientOf(agentSide, await cluster.Owner.IssueKeyAsync(PsmServer.EmailOf(Roles.SupportLead)));
        using var agent = ClientOf(agentSide, await cluster.Owner.IssueKeyAsync(PsmServer.EmailOf(Roles.SupportAgent)));

        // The visitor's instance has read its (empty) list of sites; a site added on the other is known to it at once.
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync("/api/v1/public/chat/no-such-site/")).StatusCode);
        var site = await (await lead.PostAsJsonAsync("/api/v1/chat-sites", new { name = "Shop", allowedOrigins = new[] { shop } })).ReadAsync<ChatSiteDto>();
        await WaitForAsync(async () => (await visitor.GetAsync($"/api/v1/public/chat/{site.SiteKey}/")).StatusCode == HttpStatusCode.OK, "the new site on the visitor's instance");
        Assert.Equal(HttpStatusCode.OK, (await agent.PutAsJsonAsync("/api/v1/chats/availability", new { available = true, maxChats = 2 })).StatusCode);

        async Task<ChatStarted> StartAsync(HttpClient client, string question) =>
            await (await client.PostAsJsonAsync($"/api/v1/public/chat/{site.SiteKey}/conversations", new { question })).ReadAsync<ChatStarted>();

        Task<HttpResponseMessage> AskForAPersonAsync(HttpClient client, ChatStarted chat, string name)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/public/chat/{site.SiteKey}/conversations/{chat.Id}/person")
            {
                Content = JsonContent.Create(new { name, email = $"{name.Replace(' ', '.').ToLowerInvariant()}@example.org" }),
            };
            request.Headers.Add(ChatApi.TokenHeader, chat.Token);
            return client.SendAsync(request);
        }

        // The visitor's widget is connected to its instance.
        var chat = await StartAsync(visitor, "Where do I change my billing address?");
        await using var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(visitorSide.Address, $"/chat/hub?site={site.SiteKey}&conversation={chat.Id}&token={Uri.EscapeDataString(chat.Token)}"), o =>
            {
                o.Transports = HttpTransportType.WebSockets;
                o.Headers["Origin"] = shop;
            })
            .AddJsonProtocol(o => Psm.Web.Infrastructure.Http.InputRules.Apply(o.PayloadSerializerOptions))
            .Build();
        var heard = new TaskCompletionSource<ChatLine>(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<ChatVisitorView>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<ChatLine>("line", line =>
        {
            if (line.Author == ChatAuthor.Agent)
            {
                heard.TrySetResult(line);
            }
        });
        hub.On<ChatVisitorView>("state", view =>
        {
            if (view.Status == ChatStatus.Ended)
            {
                ended.TrySetResult(view);
            }
        });
        await hub.StartAsync();
        var person = await (await AskForAPersonAsync(visitor, chat, "Ola Berg")).ReadAsync<ChatVisitorView>();
        Assert.Equal((ChatStatus.Active, "Sam Support"), (person.Status, person.AgentName));

        // The agent writes on the other instance: the visitor's widget hears the line; the visitor's answer reaches the agent.
        var said = await agent.PostAsJsonAsync($"/api/v1/chats/{chat.Id}/messages", new { text = "Hello Ola: Settings, then Billing." });
        Assert.Equal(HttpStatusCode.OK, said.StatusCode);
        Assert.Equal("Hello Ola: Settings, then Billing.", (await heard.Task.WaitAsync(TimeSpan.FromSeconds(10))).Text);
        Assert.Single(await hub.InvokeAsync<List<ChatLine>>("Send", "Found it, thanks!"));
        var detail = await agent.GetFromJsonAsync<ChatDetail>($"/api/v1/chats/{chat.Id}", Json.Options);
        Assert.Equal("Found it, thanks!", detail!.Lines.Last(l => l.Author == ChatAuthor.Visitor).Text);

        // Six visitors on both instances ask for a person at once: the agent (limit two, one chat open) gets one more, not one per instance.
        var crowd = new List<ChatStarted>();
        for (var i = 0; i < 6; i++)
        {
            crowd.Add(await StartAsync(i % 2 == 0 ? visitor : otherVisitor, $"Question number {i + 1} about invoices"));
        }

        var answers = await Task.WhenAll(crowd.Select((c, i) => AskForAPersonAsync(i % 2 == 0 ? visitor : otherVisitor, c, $"Visitor {(char)('A' + i)}")));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var board = await agent.GetFromJsonAsync<ChatBoard>("/api/v1/chats", Json.Options);
        Assert.Equal(2, board!.Active.Count);
        Assert.Equal(5, board.Waiting.Count);

        // The agent ends the chat on the other instance: the visitor's widget is told, with the satisfaction question.
        Assert.Equal(HttpStatusCode.OK, (await agent.PostAsync($"/api/v1/chats/{chat.Id}/end", null)).StatusCode);
        Assert.NotNull((await ended.Task.WaitAsync(TimeSpan.FromSeconds(10))).Csat);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, $"Not within 10 s: {what}.");
            await Task.Delay(200);
        }
    }
}
