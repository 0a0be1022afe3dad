using Microsoft.AspNetCore.SignalR;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Chat;

/// <summary>What an agent's console hears: a line, a state change, the visitor typing, or the board changed (a chat waiting, taken, ended).</summary>
public enum ChatSignalKind { Line, State, Typing, Board }

public sealed record ChatSignal(Guid ConversationId, ChatSignalKind Kind, string? Who = null);

/// <summary>
/// Carries chat events in real time: to the visitor's widget over the SignalR hub (group per conversation), and to agents'
/// consoles (Blazor circuits) as .NET events. Each event is delivered here at once and published on the <see cref="ChatBus"/>,
/// which hands it to every other instance (PostgreSQL); there <see cref="ReceiveAsync"/> delivers it to that instance's
/// widgets and consoles, reading a line or the visitor's view from the database only when a widget of that conversation
/// is connected there.
/// </summary>
public sealed class ChatRelay(IHubContext<ChatHub> hub, ChatBus bus, ChatSites sites, IServiceScopeFactory scopes)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, int> visitors = new();

    public event Action<ChatSignal>? Signal;

    public static string Group(Guid conversation) => $"chat:{conversation:N}";

    public async Task LineAsync(Guid conversation, ChatLine line, bool toVisitor)
    {
        if (toVisitor)
        {
            await ToWidgetsAsync(conversation, "line", line);
        }

        Raise(new ChatSignal(conversation, ChatSignalKind.Line));
        await bus.PublishAsync(new ChatBusEvent(ChatBusKind.Line, conversation, toVisitor, LineId: line.Id));
    }

    /// <summary>Visitors' lines stored together (<see cref="ChatLineWriter"/>): to the consoles here, and to the other instances in one notification round trip.</summary>
    public async Task VisitorLinesAsync(IReadOnlyList<(Guid Conversation, Guid LineId)> lines)
    {
        foreach (var (conversation, _) in lines)
        {
            Raise(new ChatSignal(conversation, ChatSignalKind.Line));
        }

        await bus.PublishAsync(lines.Select(l => new ChatBusEvent(ChatBusKind.Line, l.Conversation, LineId: l.LineId)).ToList());
    }

    public async Task StateAsync(Guid conversation, ChatVisitorView view)
    {
        await ToWidgetsAsync(conversation, "state", view);
        Raise(new ChatSignal(conversation, ChatSignalKind.State));
        await bus.PublishAsync(new ChatBusEvent(ChatBusKind.State, conversation, ToVisitor: true));
    }

    public async Task TypingAsync(Guid conversation, string who, bool toVisitor)
    {
        await TypingHereAsync(conversation, who, toVisitor);
        await bus.PublishAsync(new ChatBusEvent(ChatBusKind.Typing, conversation, toVisitor, who));
    }

    /// <summary>A chat waits, was taken or ended, or an agent's availability changed: every console refreshes its board.</summary>
    public async Task BoardChangedAsync()
    {
        Raise(new ChatSignal(Guid.Empty, ChatSignalKind.Board));
        await bus.PublishAsync(new ChatBusEvent(ChatBusKind.Board, Guid.Empty));
    }

    /// <summary>A site was added or changed: every instance reads the sites again (allowed origins take effect at once).</summary>
    public async Task SitesChangedAsync()
    {
        sites.Invalidate();
        await bus.PublishAsync(new ChatBusEvent(ChatBusKind.Sites, Guid.Empty));
    }

    /// <summary>A widget of the conversation connected to this instance, or left it.</summary>
    internal void VisitorConnected(Guid conversation) => visitors.AddOrUpdate(conversation, 1, (_, n) => n + 1);

    internal void VisitorLeft(Guid conversation)
    {
        if (visitors.AddOrUpdate(conversation, 0, (_, n) => n - 1) <= 0)
        {
            visitors.TryRemove(new KeyValuePair<Guid, int>(conversation, 0));
        }
    }

    /// <summary>An event another instance published: delivered to this instance's widgets and consoles.</summary>
    internal async Task ReceiveAsync(ChatBusEvent e, CancellationToken ct)
    {
        var widgetHere = e.ToVisitor && visitors.ContainsKey(e.Conversation);
        switch (e.Kind)
        {
            case ChatBusKind.Line:
                if (widgetHere && e.LineId is { } lineId)
                {
                    await using var scope = scopes.CreateAsyncScope();
                    if (await scope.ServiceProvider.GetRequiredService<LiveChat>().LineAsync(lineId, ct) is { } line)
                    {
                        await ToWidgetsAsync(e.Conversation, "line", line, ct);
                    }
                }

                Raise(new ChatSignal(e.Conversation, ChatSignalKind.Line));
                break;
            case ChatBusKind.State:
                if (widgetHere)
                {
                    await using var scope = scopes.CreateAsyncScope();
                    if (await scope.ServiceProvider.GetRequiredService<LiveChat>().VisitorViewAsync(e.Conversation, ct) is { } view)
                    {
                        await ToWidgetsAsync(e.Conversation, "state", view, ct);
                    }
                }

                Raise(new ChatSignal(e.Conversation, ChatSignalKind.State));
                break;
            case ChatBusKind.Typing:
                await TypingHereAsync(e.Conversation, e.Who ?? "", e.ToVisitor);
                break;
            case ChatBusKind.Board:
                Raise(new ChatSignal(Guid.Empty, ChatSignalKind.Board));
                break;
            case ChatBusKind.Sites:
                sites.Invalidate();
                break;
        }
    }

    private async Task TypingHereAsync(Guid conversation, string who, bool toVisitor)
    {
        if (toVisitor)
        {
            await ToWidgetsAsync(conversation, "typing", who);
        }
        else
        {
            Raise(new ChatSignal(conversation, ChatSignalKind.Typing, who));
        }
    }

    /// <summary>To the widgets of the conversation connected to this instance (none: nothing is sent).</summary>
    private Task ToWidgetsAsync(Guid conversation, string method, object arg, CancellationToken ct = default) =>
        hub.Clients.Group(Group(conversation)).SendAsync(method, arg, ct);

    private void Raise(ChatSignal signal)
    {
        // One console failing must not stop the others (or the visitor's message).
        foreach (var handler in Signal?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<ChatSignal>)handler)(signal);
            }
            catch (Exception)
            {
            }
        }
    }
}

/// <summary>
/// The widget's real-time connection (WebSockets, with SignalR's fallbacks). It connects with the site key, the conversation
/// id and its signed token; a page on an origin the site does not allow, or a wrong token, is disconnected at once. A visitor
/// can only write to and hear their own conversation. Messages are limited per conversation and per site.
/// </summary>
public sealed class ChatHub(LiveChat chat, ChatSites sites, ChatRelay relay) : Hub
{
    private const string ConversationItem = "chat", SiteItem = "site";

    public override async Task OnConnectedAsync()
    {
        var http = Context.GetHttpContext();
        var site = http is null ? null : await sites.FindAsync(http.Request.Query["site"]);
        if (http is null || site is null || !ChatSites.Allows(site, http.Request)
            || !Guid.TryParse(http.Request.Query["conversation"], out var id) || !sites.Tokens.Valid(http.Request.Query["token"], id))
        {
            Context.Abort();
            return;
        }

        Context.Items[ConversationItem] = id;
        Context.Items[SiteItem] = site.Id;
        await Groups.AddToGroupAsync(Context.ConnectionId, ChatRelay.Group(id));
        relay.VisitorConnected(id);
        await base.OnConnectedAsync();
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        if (Context.Items.TryGetValue(ConversationItem, out var item) && item is Guid id)
        {
            relay.VisitorLeft(id);
        }

        return base.OnDisconnectedAsync(exception);
    }

    /// <summary>The conversation as it stands (after a reconnect).</summary>
    public async Task<ChatVisitorView> History() => await chat.VisitorViewAsync(Conversation()) ?? throw new HubException("This conversation no longer exists.");

    /// <summary>The visitor writes: to the assistant, or to the agent once a person has the chat. Returns the new lines (with the assistant's answer).</summary>
    public async Task<IReadOnlyList<ChatLine>> Send(string text)
    {
        var id = Conversation();
        if (sites.Limits.Message((Guid)Context.Items[SiteItem]!, id) is { } wait)
        {
            throw new HubException($"Too many messages. Try again in {(int)Math.Ceiling(wait.TotalSeconds)} seconds.");
        }

        try
        {
            return await chat.VisitorWritesAsync(id, text ?? "", Context.ConnectionAborted) ?? throw new HubException("This conversation no longer exists.");
        }
        catch (RequestValidationException e)
        {
            throw new HubException(string.Join(" ", e.Errors.SelectMany(x => x.Value)));
        }
    }

    public Task Typing() => chat.VisitorTypingAsync(Conversation());

    private Guid Conversation() => Context.Items[ConversationItem] is Guid id ? id : throw new HubException("Not connected to a conversation.");
}
