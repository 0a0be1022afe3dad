using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Psm.Web.Features.Chat;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;

namespace Psm.IntegrationTests;

/// <summary>The chat widget's API and hub over real HTTP: who may use them, from where, how often, and what a chat becomes.</summary>
public sealed class LiveChatTests
{
    private const string Shop = "https://shop.example.com";

    private static async Task<(PsmServer App, HttpClient Lead, ChatSiteDto Site)> ServerAsync(Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?> { ["Sla:MonitorSeconds"] = "0" };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var app = new PsmServer(all);
        var lead = await app.ClientFor(PsmServer.EmailOf(Roles.SupportLead));
        var created = await lead.PostAsJsonAsync("/api/v1/chat-sites", new { name = "Shop", allowedOrigins = new[] { Shop + "/" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var site = await created.ReadAsync<ChatSiteDto>();
        Assert.Equal([Shop], site.AllowedOrigins);
        Assert.Contains($"data-site=\"{site.SiteKey}\"", site.Snippet);
        return (app, lead, site);
    }

    private static HttpClient Visitor(PsmServer app, string origin = Shop)
    {
        var client = app.Anonymous();
        client.DefaultRequestHeaders.Add("Origin", origin);
        return client;
    }

    private static async Task<ChatStarted> StartAsync(HttpClient visitor, ChatSiteDto site, string? question = null)
    {
        var response = await visitor.PostAsJsonAsync($"/api/v1/public/chat/{site.SiteKey}/conversations", new { question, pageUrl = Shop + "/pricing" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<ChatStarted>();
    }

    private static Task<HttpResponseMessage> AsVisitorAsync(HttpClient visitor, ChatSiteDto site, ChatStarted chat, string path, object? body = null, string? token = null)
    {
        var request = new HttpRequestMessage(body is null && path.Length == 0 ? HttpMethod.Get : HttpMethod.Post, $"/api/v1/public/chat/{site.SiteKey}/conversations/{chat.Id}{path}");
        request.Headers.Add(ChatApi.TokenHeader, token ?? chat.Token);
        if (body is not null || path.Length > 0)
        {
            request.Content = JsonContent.Create(body ?? new { });
        }

        return visitor.SendAsync(request);
    }

    private static HubConnection Hub(PsmServer app, ChatSiteDto site, ChatStarted chat, string origin = Shop, string? token = null, HttpTransportType transport = HttpTransportType.LongPolling) =>
        new HubConnectionBuilder()
            .WithUrl(new Uri(app.BaseAddress, $"/chat/hub?site={site.SiteKey}&conversation={chat.Id}&token={Uri.EscapeDataString(token ?? chat.Token)}"), o =>
            {
                o.Transports = transport;
                o.Headers["Origin"] = origin;
            })
            .AddJsonProtocol(o => Psm.Web.Infrastructure.Http.InputRules.Apply(o.PayloadSerializerOptions))
            .Build();

    [Fact]
    public async Task OnlyAllowedOriginsOnlyTheOwnConversationAndNotTooOften()
    {
        var (app, lead, site) = await ServerAsync(new() { ["Chat:VisitorRequestsPerMinute"] = "12" });
        await using var _ = app;
        using var visitor = Visitor(app);
        using var stranger = Visitor(app, "https://evil.example");
        using var bare = app.Anonymous();

        // Origins: the site's own is answered (with CORS), another is refused, and so is a request that names none.
        var info = await visitor.GetAsync($"/api/v1/public/chat/{site.SiteKey}/");
        Assert.Equal(HttpStatusCode.OK, info.StatusCode);
        Assert.Equal(Shop, info.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var refused = await stranger.PostAsJsonAsync($"/api/v1/public/chat/{site.SiteKey}/conversations", new { question = "hello there" });
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("https://evil.example", (await refused.ReadAsync<ProblemBody>()).Detail);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.Forbidden, (await bare.GetAsync($"/api/v1/public/chat/{site.SiteKey}/")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await visitor.GetAsync("/api/v1/public/chat/no-such-site/")).StatusCode);
        using var preflight = new HttpRequestMessage(HttpMethod.Options, $"/api/v1/public/chat/{site.SiteKey}/conversations");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type,x-chat-token");
        var answered = await visitor.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answered.StatusCode);
        Assert.Contains("X-Chat-Token", answered.Headers.GetValues("Access-Control-Allow-Headers").Single());

        // A conversation opens only with its own token.
        var mine = await StartAsync(visitor, site, "How do I export my data?");
        var theirs = await StartAsync(visitor, site);
        Assert.Equal(HttpStatusCode.OK, (await AsVisitorAsync(visitor, site, mine, "")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await AsVisitorAsync(visitor, site, mine, "", token: theirs.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await AsVisitorAsync(visitor, site, mine, "/messages", new { text = "sneaky" }, token: theirs.Token)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await AsVisitorAsync(visitor, site, mine, "", token: mine.Token[..^4] + "AAAA")).StatusCode);

        // The hub: the right token from the right origin connects (long polling here, WebSockets below); others are cut off.
        await using (var hub = Hub(app, site, mine))
        {
            await hub.StartAsync();
            var history = await hub.InvokeAsync<ChatVisitorView>("History");
            Assert.Contains(history.Lines, l => l.Text == "How do I export my data?");
        }

        await using (var hub = Hub(app, site, mine, transport: HttpTransportType.WebSockets))
        {
            await hub.StartAsync();
            Assert.Equal(mine.Id, (await hub.InvokeAsync<ChatVisitorView>("History")).Id);
        }

        foreach (var (origin, token) in new[] { ("https://evil.example", mine.Token), (Shop, theirs.Token) })
        {
            await using var hub = Hub(app, site, mine, origin, token);
            var ok = false;
            try
            {
                await hub.StartAsync();
                await hub.InvokeAsync<ChatVisitorView>("History");
                ok = true;
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException or Microsoft.AspNetCore.SignalR.HubException
                                          or System.Net.WebSockets.WebSocketException or IOException)
            {
            }

            Assert.False(ok, $"The hub served {origin} with {(token == mine.Token ? "the right" : "another conversation's")} token.");
        }

        // A page on another origin, or an unknown site, is refused at the hub's door (no connection is negotiated).
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.PostAsync($"/chat/hub/negotiate?negotiateVersion=1&site={site.SiteKey}&conversation={mine.Id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await visitor.PostAsync($"/chat/hub/negotiate?negotiateVersion=1&site=no-such-site&conversation={mine.Id}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await visitor.PostAsync($"/chat/hub/negotiate?negotiateVersion=1&site={site.SiteKey}&conversation={mine.Id}", null)).StatusCode);

        // Too many requests from one address: 429 with Retry-After, as problem details.
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 20 && limited is null; i++)
        {
            var response = await visitor.PostAsJsonAsync($"/api/v1/public/chat/{site.SiteKey}/conversations", new { });
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited = response;
            }
        }

        Assert.NotNull(limited);
        Assert.True(int.Parse(limited.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains("Try again in", (await limited.ReadAsync<ProblemBody>()).Detail);
        lead.Dispose();
    }

    [Fact]
    public async Task AChatWithAPersonIsATicketRoutedWithinLimitsAndAMessageLeftWhenNobodyIsThereIsOneToo()
    {
        var (app, lead, site) = await ServerAsync();
        await using var _ = app;
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var visitor = Visitor(app);
        var me = await (await agent.PutAsJsonAsync("/api/v1/chats/availability", new { available = true, maxChats = 1 })).ReadAsync<ChatAgentDto>();
        Assert.Equal((true, 1, 0), (me.Available, me.MaxChats, me.ActiveChats));

        // The visitor asks, then asks for a person: the available agent has the chat at once.
        var first = await StartAsync(visitor, site, "Where do I change my billing address?");
        await using var hub = Hub(app, site, first);
        var heard = new TaskCompletionSource<ChatLine>(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.On<ChatLine>("line", line => heard.TrySetResult(line));
        await hub.StartAsync();
        var person = await (await AsVisitorAsync(visitor, site, first, "/person", new { name = "Ola Berg", email = "ola.berg@example.org" })).ReadAsync<ChatVisitorView>();
        Assert.Equal((ChatStatus.Active, "Sam Support"), (person.Status, person.AgentName));
        Assert.NotNull(person.TicketKey);

        // The agent writes: the visitor hears it over the hub; the visitor answers over the hub; the agent reads it.
        var said = await agent.PostAsJsonAsync($"/api/v1/chats/{first.Id}/messages", new { text = "Hello Ola, Settings › Billing." });
        Assert.Equal(HttpStatusCode.OK, said.StatusCode);
        Assert.Equal("Hello Ola, Settings › Billing.", (await heard.Task.WaitAsync(TimeSpan.FromSeconds(20))).Text);
        var sent = Assert.Single(await hub.InvokeAsync<List<ChatLine>>("Send", "Found it, thanks!"));
        Assert.Equal((ChatAuthor.Visitor, "Ola Berg"), (sent.Author, sent.Name));
        Assert.Contains((await hub.InvokeAsync<ChatVisitorView>("History")).Lines, l => l.Author == ChatAuthor.Agent && l.Name == "Sam Support");
        var detail = await agent.GetFromJsonAsync<ChatDetail>($"/api/v1/chats/{first.Id}", Json.Options);
        Assert.Equal("Found it, thanks!", detail!.Lines.Last(l => l.Author == ChatAuthor.Visitor).Text);

        // A second visitor waits: the agent's limit is one chat.
        var second = await StartAsync(visitor, site, "Can I add a second admin?");
        var waiting = await (await AsVisitorAsync(visitor, site, second, "/person", new { name = "Kim Lee", email = "kim.lee@example.org" })).ReadAsync<ChatVisitorView>();
        Assert.Equal(ChatStatus.Waiting, waiting.Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await agent.PostAsync($"/api/v1/chats/{second.Id}/take", null)).StatusCode);

        // Ending the first resolves its ticket, asks the CSAT question, and hands the agent the waiting chat.
        var ended = await agent.PostAsync($"/api/v1/chats/{first.Id}/end", null);
        Assert.Equal(HttpStatusCode.OK, ended.StatusCode);
        var ask = await (await AsVisitorAsync(visitor, site, first, "")).ReadAsync<ChatVisitorView>();
        Assert.Equal(ChatStatus.Ended, ask.Status);
        Assert.NotNull(ask.Csat);
        var rated = await (await AsVisitorAsync(visitor, site, first, "/csat", new { score = 4, comment = "Fast." })).ReadAsync<ChatVisitorView>();
        Assert.True(rated.Csat!.Answered);
        Assert.Equal(HttpStatusCode.BadRequest, (await AsVisitorAsync(visitor, site, first, "/csat", new { score = 1 })).StatusCode);
        var board = await agent.GetFromJsonAsync<ChatBoard>("/api/v1/chats", Json.Options);
        Assert.Equal(ChatStatus.Active, Assert.Single(board!.Active, c => c.Id == second.Id).Status);
        Assert.Empty(board.Waiting);

        var ticketId = board.Recent.Single(c => c.Id == first.Id).TicketId;
        var ticket = await lead.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{ticketId}", Json.Options);
        Assert.Equal((TicketChannel.Chat, TicketStatus.Resolved, 4), (ticket!.Summary.Channel, ticket.Summary.Status, ticket.SatisfactionScore));
        Assert.Equal("Ola Berg", ticket.Contact!.Name);
        Assert.Equal("Where do I change my billing address?", ticket.Summary.Subject);
        Assert.Contains(ticket.Timeline, e => e.Text == "Hello Ola, Settings › Billing." && e.Kind == TicketEventKind.Reply);
        Assert.Contains(ticket.Timeline, e => e.Text == "Found it, thanks!" && e.Kind == TicketEventKind.CustomerMessage);

        // Nobody available: the widget says so, and the visitor's message becomes a ticket answered by e-mail.
        await agent.PutAsJsonAsync("/api/v1/chats/availability", new { available = false, maxChats = 1 });
        var third = await StartAsync(visitor, site, "Do you offer a nonprofit discount?");
        var offline = await (await AsVisitorAsync(visitor, site, third, "/person", new { name = "Rui Costa", email = "rui.costa@example.org" })).ReadAsync<ChatVisitorView>();
        Assert.Equal((ChatStatus.Assistant, false), (offline.Status, offline.AgentsAvailable));
        var left = await AsVisitorAsync(visitor, site, third, "/offline", new { name = "Rui Costa", email = "rui.costa@example.org", message = "We are a charity of 12 people." });
        var missed = await left.ReadAsync<ChatVisitorView>();
        Assert.Equal(ChatStatus.Missed, missed.Status);
        var offlineTicket = await lead.GetFromJsonAsync<TicketDto>($"/api/v1/tickets/{(await lead.GetFromJsonAsync<ChatBoard>("/api/v1/chats", Json.Options))!.Recent.Single(c => c.Id == third.Id).TicketId}", Json.Options);
        Assert.Equal(TicketChannel.Chat, offlineTicket!.Summary.Channel);
        Assert.Contains("chat-offline", offlineTicket.Summary.Tags);
        Assert.StartsWith("We are a charity of 12 people.", offlineTicket.Description);
        Assert.Equal(HttpStatusCode.BadRequest, (await AsVisitorAsync(visitor, site, third, "/messages", new { text = "hello?" })).StatusCode);
        lead.Dispose();
    }
}
