using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.Chat;

public static class ChatApi
{
    public const string TokenHeader = "X-Chat-Token";
    private const string SiteItem = "psm-chat-site";

    public static RouteGroupBuilder MapChatApi(this RouteGroupBuilder api)
    {
        var chats = api.MapGroup("/chats").WithTags("Live chat");
        chats.MapGet("/", (LiveChat chat, CancellationToken ct) => chat.BoardAsync(ct)).WithName("GetChatBoard")
            .WithSummary("Chats waiting for a person (oldest first), active chats (the caller's first), the last 12 ended, and every chat agent with availability, limit and load.");
        chats.MapGet("/{id:guid}", (Guid id, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.DetailAsync(id, ct))).WithName("GetChat")
            .WithSummary("One chat with its transcript (visitor, assistant, agent and system lines), its ticket and its CSAT score.");
        chats.MapPost("/{id:guid}/take", (Guid id, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.TakeAsync(id, ct))).WithName("TakeChat")
            .WithSummary("The caller takes a waiting chat (within their limit of concurrent chats); its ticket is assigned to them.")
            .RequireAuthorization(Permissions.ChatAnswer);
        chats.MapPost("/{id:guid}/messages", (Guid id, ChatTextInput input, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.AgentSaysAsync(id, input, ct)))
            .WithName("SendChatMessage").WithSummary("The agent who has the chat writes to the visitor (at once, over the widget's connection); the line is also a reply on the ticket.")
            .RequireAuthorization(Permissions.ChatAnswer);
        chats.MapPost("/{id:guid}/end", (Guid id, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.EndAsync(id, byVisitor: false, ct))).WithName("EndChat")
            .WithSummary("Ends the chat: its ticket is resolved (which creates its satisfaction link) and the widget asks the CSAT question.")
            .RequireAuthorization(Permissions.ChatAnswer);
        chats.MapPut("/availability", (ChatAvailabilityInput input, LiveChat chat, CancellationToken ct) => chat.SetAvailabilityAsync(input, ct)).WithName("SetChatAvailability")
            .WithSummary("The caller's chat availability and how many chats they take at once (1-10); becoming available takes waiting chats.")
            .RequireAuthorization(Permissions.ChatAnswer);

        var sites = api.MapGroup("/chat-sites").WithTags("Live chat");
        sites.MapGet("/", (LiveChat chat, PublicAddress address, CancellationToken ct) => chat.SitesAsync(address.Base, ct)).WithName("ListChatSites")
            .WithSummary("Websites that embed the chat widget: key, allowed origins, team, the script tag to paste, chats in the last 30 days.");
        sites.MapPost("/", async (ChatSiteInput input, LiveChat chat, PublicAddress address, CancellationToken ct) =>
            {
                var site = await chat.CreateSiteAsync(input, address.Base, ct);
                return TypedResults.Created($"/api/v1/chat-sites/{site.Id}", site);
            })
            .WithName("CreateChatSite").WithSummary("Adds a website for the widget with the origins it may run on; PSM makes its key.")
            .RequireAuthorization(Permissions.ChatConfigure);
        sites.MapPut("/{id:guid}", (Guid id, ChatSiteInput input, LiveChat chat, PublicAddress address, CancellationToken ct) => ApiResults.Found(chat.UpdateSiteAsync(id, input, address.Base, ct)))
            .WithName("UpdateChatSite").WithSummary("Changes a site's name, allowed origins, team, or switches it off (its widget stops at once).")
            .RequireAuthorization(Permissions.ChatConfigure);
        return api;
    }

    /// <summary>
    /// The widget's API: no sign-in; only from the site's allowed origins; limited per visitor address and per site (429 with
    /// Retry-After); a conversation is read and written only with its signed token (header X-Chat-Token), else 404.
    /// </summary>
    public static IEndpointRouteBuilder MapPublicChatApi(this IEndpointRouteBuilder app)
    {
        var site = app.MapGroup("/api/v1/public/chat/{siteKey}").WithTags("Chat widget").AllowAnonymous().CheckInputs().AddEndpointFilter(Gate);
        site.MapGet("/", (HttpContext http, LiveChat chat, CancellationToken ct) => chat.InfoAsync(SiteOf(http), ct)).WithName("GetChatWidgetSettings")
            .WithSummary("What the widget shows: the company, its colour, a greeting, and whether an agent is available now.");
        site.MapPost("/conversations", async (ChatStartInput input, HttpContext http, LiveChat chat, CancellationToken ct) =>
            {
                var started = await chat.StartAsync(SiteOf(http), input, ct);
                return TypedResults.Created($"/api/v1/public/chat/{SiteOf(http).Key}/conversations/{started.Id}", started);
            })
            .WithName("StartChat").WithSummary("Starts a conversation (the assistant answers a first question at once). Keep the token: it alone opens the conversation.")
            .DisableAntiforgery();
        var conversation = site.MapGroup("/conversations/{id:guid}");
        conversation.MapGet("/", (Guid id, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.VisitorViewAsync(id, ct))).WithName("ReadChat")
            .WithSummary("The conversation as the visitor sees it (send its token in X-Chat-Token).");
        conversation.MapPost("/messages", (Guid id, ChatTextInput input, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.VisitorSaysAsync(id, input.Text, ct)))
            .WithName("WriteInChat").WithSummary("The visitor writes: the assistant answers, or the agent sees it once a person has the chat. The widget uses the hub at /chat/hub instead.")
            .DisableAntiforgery();
        conversation.MapPost("/person", (Guid id, ChatPersonInput input, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.RequestPersonAsync(id, input, ct)))
            .WithName("AskForPerson").WithSummary("The visitor asks for a person: a ticket (channel Chat) routed to an available agent, or waiting. With nobody available the view says so and nothing changes.")
            .DisableAntiforgery();
        conversation.MapPost("/offline", (Guid id, ChatOfflineInput input, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.LeaveMessageAsync(id, input, ct)))
            .WithName("LeaveChatMessage").WithSummary("Nobody is available: the message becomes a ticket (channel Chat) answered by e-mail; an acknowledgement is e-mailed.")
            .DisableAntiforgery();
        conversation.MapPost("/helped", (Guid id, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.HelpedAsync(id, ct))).WithName("ChatHelped")
            .WithSummary("The assistant's answer helped: the chat ends.").DisableAntiforgery();
        conversation.MapPost("/end", (Guid id, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.EndAsync(id, byVisitor: true, ct))).WithName("LeaveChat")
            .WithSummary("The visitor ends the chat: its ticket is resolved and the CSAT question follows.").DisableAntiforgery();
        conversation.MapPost("/csat", (Guid id, ChatCsatInput input, LiveChat chat, CancellationToken ct) => ApiResults.Found(chat.CsatAsync(id, input, ct))).WithName("RateChat")
            .WithSummary("The visitor's answer to the satisfaction question after the chat: it is the ticket's CSAT answer (once).").DisableAntiforgery();
        return app;
    }

    /// <summary>
    /// A sample customer page with the widget on it (in Development and with demo data): the first active site's key, on
    /// PSM's own origin, which every site allows.
    /// </summary>
    public static IEndpointRouteBuilder MapChatSamplePage(this IEndpointRouteBuilder app)
    {
        app.MapGet("/chat-demo", async (Data.PsmDb db, CancellationToken ct) =>
        {
            var site = await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.FirstOrDefaultAsync(
                db.ChatSites.Where(s => s.Active).OrderBy(s => s.CreatedAt).Select(s => new { s.SiteKey, s.Name }), ct);
            if (site is null)
            {
                return Results.Content("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Chat sample</title></head><body><p>Add a website under Service desk → Live chat first.</p></body></html>", "text/html; charset=utf-8");
            }

            var key = System.Net.WebUtility.HtmlEncode(site.SiteKey);
            var name = System.Net.WebUtility.HtmlEncode(site.Name);
            return Results.Content($$"""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
                <title>{{name}} · sample page with the chat widget</title></head>
                <body style="margin:0;font-family:system-ui,sans-serif;color:#1b1f24;background:#fafbfc">
                <header style="background:#0f5d8c;color:#fff;padding:18px 28px"><strong style="font-size:20px">{{name}}</strong> <span style="opacity:.85">· a customer's website (sample page served by PSM)</span></header>
                <main style="max-width:760px;margin:32px auto;padding:0 20px;line-height:1.55">
                <h1>Plans and pricing</h1>
                <p>This page stands in for your own website. The chat button at the bottom right is PSM's widget, embedded with one tag:</p>
                <pre style="background:#eef1f4;padding:10px;white-space:pre-wrap">&lt;script src="/chat/widget.js" data-site="{{key}}" async&gt;&lt;/script&gt;</pre>
                <p>Ask it a question: the assistant answers from the published help-centre articles. Ask for a person and an available agent
                in PSM (Service desk → Live chat) takes the chat.</p>
                </main>
                <script src="/chat/widget.js" data-site="{{key}}" async></script>
                </body></html>
                """, "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static ChatSites.Site SiteOf(HttpContext http) => (ChatSites.Site)http.Items[SiteItem]!;

    /// <summary>Site known and active, origin allowed, within the limits, and (for a conversation) its token.</summary>
    private static async ValueTask<object?> Gate(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var sites = http.RequestServices.GetRequiredService<ChatSites>();
        var site = await sites.FindAsync(http.GetRouteValue("siteKey") as string, http.RequestAborted);
        if (site is null)
        {
            return TypedResults.Problem(title: "Not found.", detail: "No chat site has this key, or it is switched off.", statusCode: StatusCodes.Status404NotFound);
        }

        if (!ChatSites.Allows(site, http.Request))
        {
            return TypedResults.Problem(title: "Origin not allowed.", statusCode: StatusCodes.Status403Forbidden,
                detail: $"The chat of {site.Name} does not accept requests from {ChatSites.OriginOf(http.Request) ?? "a page that names no origin"}; an admin lists the allowed origins.");
        }

        if (sites.Limits.Request(site.Id, http.Connection.RemoteIpAddress?.ToString() ?? "unknown") is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(title: "Too many requests.", statusCode: StatusCodes.Status429TooManyRequests,
                detail: $"Too many chat requests from this address. Try again in {seconds} seconds.");
        }

        if (http.GetRouteValue("id") is string raw && (!Guid.TryParse(raw, out var id) || !sites.Tokens.Valid(http.Request.Headers[TokenHeader], id)))
        {
            return TypedResults.Problem(title: "Not found.", detail: "There is no such conversation.", statusCode: StatusCodes.Status404NotFound);
        }

        http.Items[SiteItem] = site;
        return await next(context);
    }

    /// <summary>
    /// Cross-origin answers for the widget on a customer's site: an allowed origin of the site named in the request (the
    /// path's key or the hub's site parameter) gets Access-Control-Allow-Origin; preflights are answered here. No cookies.
    /// </summary>
    public static IApplicationBuilder UseChatCors(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        string? key = null;
        if (request.Path.StartsWithSegments("/api/v1/public/chat", out var rest))
        {
            key = rest.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        }
        else if (request.Path.StartsWithSegments("/chat/hub"))
        {
            key = request.Query["site"].ToString();
        }

        if (key is null)
        {
            await next(context);
            return;
        }

        var site = await context.RequestServices.GetRequiredService<ChatSites>().FindAsync(key, context.RequestAborted);
        // The hub's door (negotiate, connect, polls): an unknown site or a page on another origin gets no connection at all.
        if (request.Path.StartsWithSegments("/chat/hub") && !HttpMethods.IsOptions(request.Method) && (site is null || !ChatSites.Allows(site, request)))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        if (request.Headers.Origin.ToString() is not { Length: > 0 } origin)
        {
            await next(context);
            return;
        }

        if (site is not null && ChatSites.NormaliseOrigin(origin) is { } normal && site.Origins.Contains(normal))
        {
            var headers = context.Response.Headers;
            headers.AccessControlAllowOrigin = origin;
            headers.Vary = "Origin";
            headers.AccessControlExposeHeaders = "Retry-After";
            if (HttpMethods.IsOptions(request.Method) && request.Headers.AccessControlRequestMethod.Count > 0)
            {
                headers.AccessControlAllowMethods = "GET, POST";
                headers.AccessControlAllowHeaders = "Content-Type, X-Chat-Token, X-Requested-With, X-SignalR-User-Agent";
                headers.AccessControlMaxAge = "600";
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                return;
            }
        }

        await next(context);
    });
}
