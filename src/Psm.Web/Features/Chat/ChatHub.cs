using Microsoft.AspNetCore.SignalR;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Chat;

/// <summary>What an agent's console hears: a line, a state change, the visitor typing, or the board changed (a chat waiting, taken, ended).</summary>
public enum ChatSignalKind { Line, State, Typing, Board }

public sealed record ChatSignal(Guid ConversationId, ChatSignalKind Kind, string? Who = null);

/// <summary>
/// Carries chat events in real time: to the visitor's widget over the SignalR hub (group per conversation), and to agents'
/// consoles (Blazor circuits in this process) as .NET events. One instance; several instances would need a SignalR
/// backplane and a shared event bus (issue 21).
/// </summary>
public sealed class ChatRelay(IHubContext<ChatHub> hub)
{
    public event Action<ChatSignal>? Signal;

    public static string Group(Guid conversation) => $"chat:{conversation:N}";

    public async Task LineAsync(Guid conversation, ChatLine line, bool toVisitor)
    {
        if (toVisitor)
        {
            await hub.Clients.Group(Group(conversation)).SendAsync("line", line);
        }

        Raise(new ChatSignal(conversation, ChatSignalKind.Line));
    }

    public async Task StateAsync(Guid conversation, ChatVisitorView view)
    {
        await hub.Clients.Group(Group(conversation)).SendAsync("state", view);
        Raise(new ChatSignal(conversation, ChatSignalKind.State));
    }

    public async Task TypingAsync(Guid conversation, string who, bool toVisitor)
    {
        if (toVisitor)
        {
            await hub.Clients.Group(Group(conversation)).SendAsync("typing", who);
        }
        else
        {
            Raise(new ChatSignal(conversation, ChatSignalKind.Typing, who));
        }
    }

    public void BoardChanged() => Raise(new ChatSignal(Guid.Empty, ChatSignalKind.Board));

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
public sealed class ChatHub(LiveChat chat, ChatSites sites) : Hub
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
        await base.OnConnectedAsync();
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
