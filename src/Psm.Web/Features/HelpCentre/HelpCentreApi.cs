using Microsoft.AspNetCore.Http.HttpResults;
using Psm.Web.Infrastructure;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

namespace Psm.Web.Features.HelpCentre;

/// <summary>A change of an article's status names the version read.</summary>
public sealed record ArticleStatusInput(Guid? Version);

public static class HelpCentreApi
{
    public static RouteGroupBuilder MapHelpCentreApi(this RouteGroupBuilder api)
    {
        var articles = api.MapGroup("/articles").WithTags("Help centre");
        articles.MapGet("/", (ArticleStatus? status, Guid? productId, string? search, HelpCentre h, CancellationToken ct) => h.ListAsync(status, productId, search, ct))
            .WithName("ListArticles")
            .WithSummary("Articles of every status, most recently changed first (at most 500), with views and votes; search looks in titles and tags.");
        articles.MapGet("/search", (string? q, Guid? productId, HelpCentre h, CancellationToken ct) => h.SearchAsync(q, productId, ct))
            .WithName("SearchPublishedArticles")
            .WithSummary("Published articles for a question, best first (what an agent links in a reply and what the public help centre finds).");
        articles.MapGet("/{id:guid}", (Guid id, HelpCentre h, CancellationToken ct) => ApiResults.Found(h.GetAsync(id, ct))).WithName("GetArticle")
            .WithSummary("One article: its Markdown and sanitised HTML, figures, readers' comments and public address.");
        articles.MapGet("/{id:guid}/revisions", (Guid id, HelpCentre h, CancellationToken ct) => ApiResults.Found(h.RevisionsAsync(id, ct))).WithName("ListArticleRevisions")
            .WithSummary("Every saved revision of an article, newest first.");
        articles.MapPost("/", async (ArticleInput input, HelpCentre h, CancellationToken ct) =>
            {
                var article = await h.CreateAsync(input, ct);
                return TypedResults.Created($"/api/v1/articles/{article.Id}", article);
            })
            .WithName("CreateArticle").WithSummary("Writes a new article as a draft (revision 1); its public address comes from the title and never changes.")
            .RequireAuthorization(Permissions.HelpCentreWrite);
        articles.MapPut("/{id:guid}", (Guid id, ArticleInput input, HelpCentre h, CancellationToken ct) => ApiResults.Found(h.UpdateAsync(id, input, ct)))
            .WithName("UpdateArticle").WithSummary("Saves a new revision of an article. Send the version you read (409 if it changed).")
            .RequireAuthorization(Permissions.HelpCentreWrite);
        articles.MapPost("/{id:guid}/reviewed", (Guid id, HelpCentre h, CancellationToken ct) => ApiResults.Found(h.MarkReviewedAsync(id, ct)))
            .WithName("MarkArticleReviewed").WithSummary("Records that someone checked the article and it is still right.")
            .RequireAuthorization(Permissions.HelpCentreWrite);
        foreach (var (path, status, name, summary) in new[]
                 {
                     ("publish", ArticleStatus.Published, "PublishArticle", "Publishes an article: the public help centre shows it at once."),
                     ("archive", ArticleStatus.Archived, "ArchiveArticle", "Archives an article: it leaves the public help centre and is kept."),
                     ("withdraw", ArticleStatus.Draft, "WithdrawArticle", "Takes an article back to draft: it leaves the public help centre."),
                 })
        {
            articles.MapPost($"/{{id:guid}}/{path}", (Guid id, ArticleStatusInput input, HelpCentre h, CancellationToken ct) => ApiResults.Found(h.SetStatusAsync(id, status, input.Version, ct)))
                .WithName(name).WithSummary(summary + " Send the version you read.").RequireAuthorization(Permissions.HelpCentrePublish);
        }

        var settings = api.MapGroup("/help-centre").WithTags("Help centre");
        settings.MapGet("/assistant/questions", (bool? unanswered, Assistant a, CancellationToken ct) => a.QuestionsAsync(unanswered ?? false, ct)).WithName("ListAssistantQuestions")
            .WithSummary("What visitors asked the assistant, newest first (at most 200): whether it answered, its confidence, the article, and how the conversation ended.");
        settings.MapGet("/settings", (HelpCentre h, CancellationToken ct) => h.SettingsAsync(ct)).WithName("GetHelpCentreSettings")
            .WithSummary("How the public help centre presents the company: name, accent colour, welcome line.");
        settings.MapPut("/settings", (HelpCentreSettingsInput input, HelpCentre h, CancellationToken ct) => h.SaveSettingsAsync(input, ct)).WithName("SaveHelpCentreSettings")
            .WithSummary("Changes the public help centre's name, accent colour and welcome line. Send the version you read.")
            .RequireAuthorization(Permissions.HelpCentrePublish);
        settings.MapPut("/logo", async (HttpRequest request, HelpCentre h, CancellationToken ct) =>
                TypedResults.Ok(await h.SaveLogoAsync(await ReadLogoAsync(request, ct), ct)))
            .WithName("SaveHelpCentreLogo").Accepts<byte[]>("image/png", "image/jpeg", "image/webp")
            .WithSummary($"Sets the logo public pages show: the image as the body (PNG, JPEG or WebP, at most {HelpCentre.MaxLogoBytes / 1024} KB; the type is read from its bytes).")
            .RequireAuthorization(Permissions.HelpCentrePublish);
        settings.MapDelete("/logo", (HelpCentre h, CancellationToken ct) => h.SaveLogoAsync(null, ct)).WithName("RemoveHelpCentreLogo")
            .WithSummary("Removes the logo: public pages show the company's initials again.")
            .RequireAuthorization(Permissions.HelpCentrePublish);
        return api;
    }

    /// <summary>The logo for everyone (public pages show it), cached by its hash.</summary>
    public static void MapBrandLogo(this IEndpointRouteBuilder app) =>
        app.MapGet(HelpCentre.LogoPath, async Task<Results<FileContentHttpResult, NotFound>> (HttpContext http, HelpCentre h, CancellationToken ct) =>
            {
                if (await h.LogoAsync(ct) is not { } logo)
                {
                    return TypedResults.NotFound();
                }

                http.Response.Headers.CacheControl = "public, max-age=86400";
                return TypedResults.File(logo.Bytes, logo.Type, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{logo.Hash[..16]}\""));
            })
            .AllowAnonymous().ExcludeFromDescription();

    /// <summary>The body, up to one byte past the limit (so a larger one is refused by size, not cut).</summary>
    private static async Task<byte[]> ReadLogoAsync(HttpRequest request, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0 && buffer.Length <= HelpCentre.MaxLogoBytes)
        {
            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The public help centre's API: no sign-in, published articles only, rate-limited per client address.</summary>
    public static IEndpointRouteBuilder MapPublicHelpCentreApi(this IEndpointRouteBuilder app)
    {
        var help = app.MapGroup("/api/v1/public/help").WithTags("Public help centre").AllowAnonymous().CheckInputs();
        help.MapGet("/articles", (string? q, Guid? productId, HelpCentre h, CancellationToken ct) => h.SearchAsync(q, productId, ct)).WithName("SearchHelpCentre")
            .WithSummary("Published articles for a question (or all of a product's), best first.").RequireRateLimiting(RateLimits.HelpCentreReads);
        help.MapGet("/shelves", (HelpCentre h, CancellationToken ct) => h.ShelvesAsync(ct)).WithName("BrowseHelpCentre")
            .WithSummary("Published articles by product.").RequireRateLimiting(RateLimits.HelpCentreReads);
        help.MapGet("/articles/{slug}", async Task<Results<Ok<PublicArticleDto>, NotFound>> (string slug, HelpCentre h, CancellationToken ct) =>
                await h.PublishedAsync(slug, countView: true, ct) is { } article ? TypedResults.Ok(article) : TypedResults.NotFound())
            .WithName("ReadHelpCentreArticle").WithSummary("A published article (404 for drafts, archived and unknown ones); each read counts as a view.")
            .RequireRateLimiting(RateLimits.HelpCentreReads);
        help.MapPost("/articles/{slug}/votes", async Task<Results<NoContent, NotFound>> (string slug, ArticleVoteInput input, HelpCentre h, CancellationToken ct) =>
                await h.VoteAsync(slug, input, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("VoteOnHelpCentreArticle")
            .WithSummary("Was this article helpful? A comment also lands in the feedback inbox (channel HelpCentre) with the article's product. Rate-limited like every public write.")
            .DisableAntiforgery().RequireRateLimiting(RateLimits.PublicLinks);
        help.MapPost("/assistant", async Task<Results<Ok<AssistantAnswer>, NotFound>> (AssistantQuestionInput input, HttpContext http, Assistant a, CancellationToken ct) =>
                await a.AskAsync(input, VisitorKey(http), ct) is { } answer ? TypedResults.Ok(answer) : TypedResults.NotFound())
            .WithName("AskHelpCentreAssistant")
            .WithSummary("Asks the assistant: it answers from published articles only (the passage and its sources) or says it does not know. Send the conversation token it returned with the next question.")
            .DisableAntiforgery().RequireRateLimiting(RateLimits.PublicLinks);
        help.MapPost("/assistant/{conversation}/resolved", async Task<Results<NoContent, NotFound>> (string conversation, Assistant a, CancellationToken ct) =>
                await a.ResolvedAsync(conversation, ct) ? TypedResults.NoContent() : TypedResults.NotFound())
            .WithName("ResolveHelpCentreConversation").WithSummary("The visitor says the assistant's answer helped.").DisableAntiforgery()
            .RequireRateLimiting(RateLimits.PublicLinks);
        help.MapPost("/assistant/{conversation}/handover", async Task<Results<Ok<HandoverResult>, NotFound>> (string conversation, HandoverInput input, Assistant a, CancellationToken ct) =>
                await a.HandOverAsync(conversation, input, ct) is { } result ? TypedResults.Ok(result) : TypedResults.NotFound())
            .WithName("HandOverHelpCentreConversation")
            .WithSummary("Asks for a person: the conversation becomes a ticket (channel Portal) for the contact with the address given; once per conversation.")
            .DisableAntiforgery().RequireRateLimiting(RateLimits.PublicLinks);
        return app;
    }

    public const string VisitorCookie = "psm_help_visitor";

    /// <summary>A random value kept in a cookie, so a visitor who comes back within seven days counts as coming back.</summary>
    public static string VisitorKey(HttpContext http)
    {
        if (http.Request.Cookies[VisitorCookie] is { Length: 32 } known && known.All(char.IsAsciiHexDigit))
        {
            return known;
        }

        var key = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        http.Response.Cookies.Append(VisitorCookie, key, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Lax, Secure = http.Request.IsHttps, MaxAge = TimeSpan.FromDays(30) });
        return key;
    }
}
