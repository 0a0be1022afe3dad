using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Psm.Web.Features.Chat;
using Psm.Web.Infrastructure;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// chat-relay: 500 widget connections (WebSockets) to the whole PSM app on a loopback port, each in a chat that a person was
/// asked for, each sending 20 messages as fast as the answers come back (every message stored with its ticket entry and
/// relayed to the agents' consoles). The limit: a bare SignalR hub in its own app that only relays each message to the
/// sender's group, the same connections, the same messages. Memory per connection: the process's managed heap after
/// connecting, less before, per connection, for both (clients and server share the process, so both figures include the
/// .NET client's side).
/// </summary>
public static class ChatScenario
{
    public const string Name = "chat-relay";

    public static async Task<ScenarioResult> RunAsync(string provider, int connections, int messagesEach)
    {
        var (bare, bareHeap) = await BareAsync(connections, messagesEach);
        await using var database = await BenchDatabase.CreateAsync(provider);
        var (app, address) = await BenchHost.StartAsync(database, new()
        {
            ["Chat:VisitorRequestsPerMinute"] = "1000000", ["Chat:MessagesPerMinute"] = "1000000", ["Chat:SiteRequestsPerMinute"] = "100000000",
        });
        await using var _ = app;

        // A site, and one agent available for as many chats as there are connections.
        await using (var db = await database.Factory().CreateDbContextAsync())
        {
            db.ChatSites.Add(new ChatSite { Name = "Bench", SiteKey = "bench-site", CreatedAt = DateTimeOffset.UtcNow });
            var admin = await db.Users.Where(u => u.Email == BenchHost.AdminEmail).Select(u => u.Id).SingleAsync();
            db.ChatAgents.Add(new ChatAgent { UserId = admin, Available = true, MaxChats = 10, ChangedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        var json = new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web);
        InputRules.Apply(json);
        using var http = new HttpClient { BaseAddress = address };
        http.DefaultRequestHeaders.Add("Origin", address.GetLeftPart(UriPartial.Authority));
        var chats = new List<ChatStarted>();
        for (var i = 0; i < connections; i++)
        {
            var started = await (await http.PostAsJsonAsync("/api/v1/public/chat/bench-site/conversations", new { pageUrl = "https://bench.example/" }, json)).Content.ReadFromJsonAsync<ChatStarted>(json);
            using var person = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/public/chat/bench-site/conversations/{started!.Id}/person")
            {
                Content = JsonContent.Create(new { name = $"Visitor {i}", email = $"visitor{i}@bench.example" }),
            };
            person.Headers.Add(ChatApi.TokenHeader, started.Token);
            (await http.SendAsync(person)).EnsureSuccessStatusCode();
            chats.Add(started);
        }

        var before = Heap();
        var clients = new List<HubConnection>();
        foreach (var chat in chats)
        {
            var hub = new HubConnectionBuilder()
                .WithUrl(new Uri(address, $"/chat/hub?site=bench-site&conversation={chat.Id}&token={Uri.EscapeDataString(chat.Token)}"), o =>
                {
                    o.Transports = HttpTransportType.WebSockets;
                    o.Headers["Origin"] = address.GetLeftPart(UriPartial.Authority);
                })
                .AddJsonProtocol(o => InputRules.Apply(o.PayloadSerializerOptions))
                .Build();
            await hub.StartAsync();
            clients.Add(hub);
        }

        var psmHeap = (Heap() - before) / (double)connections;
        var psm = await Measurement.OfAsync(() => Task.WhenAll(clients.Select(async (hub, n) =>
        {
            for (var m = 0; m < messagesEach; m++)
            {
                await hub.InvokeAsync<List<ChatLine>>("Send", $"Message {m} from visitor {n}: the export still says it is running.");
            }
        })));
        foreach (var hub in clients)
        {
            await hub.DisposeAsync();
        }

        await app.StopAsync();
        var total = connections * messagesEach;
        return new ScenarioResult(Name, provider, total, "messages/s", psm, bare, total / psm.Elapsed.TotalSeconds, total / bare.Elapsed.TotalSeconds,
            $"a bare SignalR hub relaying each message to the sender's group, {connections} WebSocket connections x {messagesEach} messages; "
            + $"heap per connection PSM {psmHeap / 1024:0} KB, bare {bareHeap / 1024:0} KB");
    }

    private static async Task<(Measurement Result, double HeapPerConnection)> BareAsync(int connections, int messagesEach)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSignalR();
        await using var app = builder.Build();
        app.UseWebSockets();
        app.MapHub<RelayHub>("/relay");
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        var before = Heap();
        var clients = new List<HubConnection>();
        for (var i = 0; i < connections; i++)
        {
            var hub = new HubConnectionBuilder().WithUrl(new Uri(address, $"/relay?group={i}"), o => o.Transports = HttpTransportType.WebSockets).Build();
            hub.On<string>("line", _ => { });
            await hub.StartAsync();
            clients.Add(hub);
        }

        var heap = (Heap() - before) / (double)connections;
        var result = await Measurement.OfAsync(() => Task.WhenAll(clients.Select(async (hub, n) =>
        {
            for (var m = 0; m < messagesEach; m++)
            {
                await hub.InvokeAsync<bool>("Send", $"Message {m} from visitor {n}: the export still says it is running.");
            }
        })));
        foreach (var hub in clients)
        {
            await hub.DisposeAsync();
        }

        await app.StopAsync();
        return (result, heap);
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>The limit: joins the group its query names, relays each message to it, nothing else.</summary>
    public sealed class RelayHub : Hub
    {
        public override async Task OnConnectedAsync()
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, Context.GetHttpContext()!.Request.Query["group"].ToString());
            await base.OnConnectedAsync();
        }

        public async Task<bool> Send(string text)
        {
            await Clients.Group(Context.GetHttpContext()!.Request.Query["group"].ToString()).SendAsync("line", text);
            return true;
        }
    }
}
