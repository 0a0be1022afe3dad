using System.Text.RegularExpressions;
using Markdig;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.HelpCentre;

/// <summary>
/// The knowledge base: staff write articles in Markdown (every save a revision), publish and archive them;
/// the public help centre shows published ones only, counts their views per day and takes "was this helpful?",
/// whose comments land in the feedback inbox (channel Help centre) with the article's product and service.
/// </summary>
public sealed partial class HelpCentre(IDbContextFactory<PsmDb> dbs, TimeProvider time, AssistantIndex index)
{
    public const int MaxHits = 20;

    public async Task<IReadOnlyList<ArticleSummary>> ListAsync(ArticleStatus? status, Guid? productId, string? search, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var articles = db.Articles.AsNoTracking();
        if (status is { } s) articles = articles.Where(a => a.Status == s);
        if (productId is { } p) articles = articles.Where(a => a.ProductId == p);
        foreach (var term in Terms(search))
        {
            articles = articles.Where(a => (a.Title + " " + a.Tags).ToLower().Contains(term));
        }

        var rows = await articles.OrderByDescending(a => a.UpdatedAt).ThenBy(a => a.Id).Take(500)
            .Select(a => new
            {
                a.Id, a.Title, a.Slug, a.Status, a.Tags, a.ProductId, Product = db.Products.Where(x => x.Id == a.ProductId).Select(x => x.Name).FirstOrDefault(),
                a.ServiceId, Service = db.Services.Where(x => x.Id == a.ServiceId).Select(x => x.Name).FirstOrDefault(), a.Author, a.Revision, a.UpdatedAt, a.ReviewedAt,
                Views = db.ArticleViews.Where(v => v.ArticleId == a.Id).Sum(v => (int?)v.Views) ?? 0,
                Helpful = db.ArticleVotes.Count(v => v.ArticleId == a.Id && v.Helpful),
                NotHelpful = db.ArticleVotes.Count(v => v.ArticleId == a.Id && !v.Helpful),
            })
            .ToListAsync(ct);
        return rows.Select(a => new ArticleSummary(a.Id, a.Title, a.Slug, a.Status, SplitTags(a.Tags), a.ProductId, a.Product, a.ServiceId, a.Service, a.Author, a.Revision,
            a.UpdatedAt, a.ReviewedAt, a.Views, a.Helpful, a.NotHelpful)).ToList();
    }

    public async Task<ArticleDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var a = await db.Articles.AsNoTracking().SingleOrDefaultAsync(x => x.Id == id, ct);
        if (a is null)
        {
            return null;
        }

        var product = await db.Products.Where(x => x.Id == a.ProductId).Select(x => x.Name).FirstOrDefaultAsync(ct);
        var service = await db.Services.Where(x => x.Id == a.ServiceId).Select(x => x.Name).FirstOrDefaultAsync(ct);
        var views = await db.ArticleViews.Where(v => v.ArticleId == id).SumAsync(v => (int?)v.Views, ct) ?? 0;
        var votes = await db.ArticleVotes.AsNoTracking().Where(v => v.ArticleId == id).OrderByDescending(v => v.At).ThenByDescending(v => v.Id).ToListAsync(ct);
        return new ArticleDto(a.Id, a.Title, a.Slug, a.Status, a.Body, Markdown.ToSafeHtml(a.Body), SplitTags(a.Tags), a.ProductId, product, a.ServiceId, service, a.Author,
            a.Revision, a.CreatedAt, a.UpdatedAt, a.PublishedAt, a.ReviewedAt, views, votes.Count(v => v.Helpful), votes.Count(v => !v.Helpful),
            votes.Where(v => !string.IsNullOrEmpty(v.Comment)).Take(100).Select(v => new ArticleCommentDto(v.Helpful, v.Comment!, v.FeedbackId, v.At)).ToList(),
            PublicPath(a.Slug), a.Version);
    }

    public static string PublicPath(string slug) => $"/help/{slug}";

    public async Task<ArticleDto> CreateAsync(ArticleInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await CheckAsync(db, input, ct);
        var now = time.GetUtcNow();
        var article = new Article { Status = ArticleStatus.Draft, CreatedAt = now, Slug = await FreeSlugAsync(db, input.Title, ct) };
        Apply(db, article, input, now);
        db.Articles.Add(article);
        db.ArticleRevisions.Add(RevisionOf(article, now));
        await db.SaveChangesAsync(ct);
        index.Invalidate();
        return (await GetAsync(article.Id, ct))!;
    }

    public async Task<ArticleDto?> UpdateAsync(Guid id, ArticleInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var article = await db.Articles.SingleOrDefaultAsync(a => a.Id == id, ct);
        if (article is null)
        {
            return null;
        }

        db.ExpectVersion(article, input.Version);
        await CheckAsync(db, input, ct);
        var now = time.GetUtcNow();
        Apply(db, article, input, now);
        article.Revision++;
        db.ArticleRevisions.Add(RevisionOf(article, now));
        await db.SaveChangesAsync(ct);
        index.Invalidate();
        return await GetAsync(id, ct);
    }

    /// <summary>Publishes, archives or takes an article back to draft.</summary>
    public async Task<ArticleDto?> SetStatusAsync(Guid id, ArticleStatus status, Guid? version, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var article = await db.Articles.SingleOrDefaultAsync(a => a.Id == id, ct);
        if (article is null)
        {
            return null;
        }

        db.ExpectVersion(article, version);
        article.Status = status;
        if (status == ArticleStatus.Published)
        {
            article.PublishedAt ??= time.GetUtcNow();
        }

        await db.SaveChangesAsync(ct);
        index.Invalidate();
        return await GetAsync(id, ct);
    }

    /// <summary>Someone checked the article and it is still right.</summary>
    public async Task<ArticleDto?> MarkReviewedAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var article = await db.Articles.SingleOrDefaultAsync(a => a.Id == id, ct);
        if (article is null)
        {
            return null;
        }

        article.ReviewedAt = time.GetUtcNow();
        await db.SaveChangesAsync(ct);
        return await GetAsync(id, ct);
    }

    public async Task<IReadOnlyList<ArticleRevisionDto>?> RevisionsAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        if (!await db.Articles.AnyAsync(a => a.Id == id, ct))
        {
            return null;
        }

        var rows = await db.ArticleRevisions.AsNoTracking().Where(r => r.ArticleId == id).OrderByDescending(r => r.Number).ToListAsync(ct);
        return rows.Select(r => new ArticleRevisionDto(r.Number, r.Title, r.Body, SplitTags(r.Tags), r.Author, r.At)).ToList();
    }

    /// <summary>
    /// Published articles matching the words asked (of three letters or more, common words left out), best first:
    /// a word in the title counts three, in the tags two, in the text one (at most three times), and articles
    /// matching more of the words come first.
    /// </summary>
    public async Task<IReadOnlyList<PublicArticleHit>> SearchAsync(string? query, Guid? productId, CancellationToken ct = default)
    {
        var terms = Terms(query).ToList();
        await using var db = await dbs.CreateDbContextAsync(ct);
        var published = db.Articles.AsNoTracking().Where(a => a.Status == ArticleStatus.Published);
        if (productId is { } p) published = published.Where(a => a.ProductId == p);
        if (terms.Count == 0)
        {
            return productId is null ? [] : (await published.OrderBy(a => a.Title).Take(100).Select(a => new { a.Title, a.Slug, a.Body, Product = db.Products.Where(x => x.Id == a.ProductId).Select(x => x.Name).FirstOrDefault() }).ToListAsync(ct))
                .Select(a => new PublicArticleHit(a.Title, a.Slug, a.Product, Excerpt(Markdown.ToPlainText(a.Body), []))).ToList();
        }

        var any = terms.Aggregate((IQueryable<Article>?)null, (q, term) => q is null
            ? published.Where(a => (a.Title + " " + a.Tags + " " + a.Body).ToLower().Contains(term))
            : q.Union(published.Where(a => (a.Title + " " + a.Tags + " " + a.Body).ToLower().Contains(term))))!;
        var candidates = await any.Take(300)
            .Select(a => new { a.Title, a.Slug, a.Tags, a.Body, Product = db.Products.Where(x => x.Id == a.ProductId).Select(x => x.Name).FirstOrDefault() })
            .ToListAsync(ct);
        return candidates
            .Select(a =>
            {
                var text = Markdown.ToPlainText(a.Body);
                var (matched, score) = Score(terms, a.Title, a.Tags, text);
                return (Hit: new PublicArticleHit(a.Title, a.Slug, a.Product, Excerpt(text, terms)), Matched: matched, Score: score);
            })
            .Where(h => h.Matched > 0)
            .OrderByDescending(h => h.Matched).ThenByDescending(h => h.Score).ThenBy(h => h.Hit.Title, StringComparer.Ordinal)
            .Take(MaxHits).Select(h => h.Hit).ToList();
    }

    internal static (int Matched, int Score) Score(IReadOnlyList<string> terms, string title, string tags, string text)
    {
        int matched = 0, score = 0;
        var (t, g, b) = (title.ToLowerInvariant(), tags.ToLowerInvariant(), text.ToLowerInvariant());
        foreach (var term in terms)
        {
            var points = 3 * Occurrences(t, term) + 2 * Occurrences(g, term) + Math.Min(3, Occurrences(b, term));
            matched += points > 0 ? 1 : 0;
            score += points;
        }

        return (matched, score);
    }

    private static int Occurrences(string text, string term)
    {
        var count = 0;
        for (var at = text.IndexOf(term, StringComparison.Ordinal); at >= 0; at = text.IndexOf(term, at + term.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    /// <summary>About 200 characters of the text around the first word asked (the start when none is found).</summary>
    internal static string Excerpt(string text, IReadOnlyList<string> terms)
    {
        var flat = Whitespace().Replace(text, " ").Trim();
        var at = terms.Select(term => flat.IndexOf(term, StringComparison.OrdinalIgnoreCase)).Where(i => i >= 0).DefaultIfEmpty(0).Min();
        var start = Math.Max(0, at - 60);
        var excerpt = flat.Substring(start, Math.Min(200, flat.Length - start));
        return (start > 0 ? "…" : "") + excerpt + (start + excerpt.Length < flat.Length ? "…" : "");
    }

    /// <summary>The published article at a public address, or null; <paramref name="countView"/> adds one to today's views.</summary>
    public async Task<PublicArticleDto?> PublishedAsync(string slug, bool countView, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var article = await db.Articles.AsNoTracking().Where(a => a.Slug == slug && a.Status == ArticleStatus.Published)
            .Select(a => new { a.Id, a.Title, a.Slug, a.Body, a.Tags, a.UpdatedAt, Product = db.Products.Where(x => x.Id == a.ProductId).Select(x => x.Name).FirstOrDefault() })
            .SingleOrDefaultAsync(ct);
        if (article is null)
        {
            return null;
        }

        if (countView)
        {
            await CountViewAsync(db, article.Id, DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime), ct);
        }

        return new PublicArticleDto(article.Title, article.Slug, Markdown.ToSafeHtml(article.Body), SplitTags(article.Tags), article.Product, article.UpdatedAt);
    }

    private static async Task CountViewAsync(PsmDb db, Guid articleId, DateOnly day, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (await db.ArticleViews.Where(v => v.ArticleId == articleId && v.Day == day).ExecuteUpdateAsync(s => s.SetProperty(v => v.Views, v => v.Views + 1), ct) > 0)
            {
                return;
            }

            try
            {
                db.ArticleViews.Add(new ArticleViews { ArticleId = articleId, Day = day, Views = 1 });
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateException)
            {
                // Another reader made today's row first: count on it.
                db.ChangeTracker.Clear();
            }
        }
    }

    /// <summary>A reader's answer to "was this helpful?"; a comment also becomes feedback (channel Help centre). False when there is no such published article.</summary>
    public async Task<bool> VoteAsync(string slug, ArticleVoteInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var article = await db.Articles.AsNoTracking().Where(a => a.Slug == slug && a.Status == ArticleStatus.Published)
            .Select(a => new { a.Id, a.Title, a.Slug, a.ProductId, a.ServiceId }).SingleOrDefaultAsync(ct);
        if (article is null)
        {
            return false;
        }

        var now = time.GetUtcNow();
        var comment = string.IsNullOrWhiteSpace(input.Comment) ? null : input.Comment.Trim();
        var vote = new ArticleVote { ArticleId = article.Id, Helpful = input.Helpful!.Value, Comment = comment, At = now };
        if (comment is not null)
        {
            var item = Feedback.FeedbackItem.Arrived(comment, Feedback.FeedbackChannel.HelpCentre, now, await Feedback.FeedbackInbox.MatcherAsync(db, ct), now);
            (item.ProductId, item.ServiceId, item.SourceRef) = (article.ProductId, article.ServiceId, $"help:{article.Slug}:{vote.Id}");
            item.Rating = vote.Helpful ? 5 : 1;
            db.Feedback.Add(item);
            vote.FeedbackId = item.Id;
        }

        db.ArticleVotes.Add(vote);
        await db.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>Products with published articles (the ones about no product last), for browsing the help centre.</summary>
    public async Task<IReadOnlyList<HelpCentreShelf>> ShelvesAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await db.Articles.AsNoTracking().Where(a => a.Status == ArticleStatus.Published)
            .Select(a => new { a.Title, a.Slug, a.Body, a.ProductId, Product = db.Products.Where(x => x.Id == a.ProductId).Select(x => x.Name).FirstOrDefault() })
            .ToListAsync(ct);
        return rows.GroupBy(r => (r.ProductId, r.Product))
            .OrderBy(g => g.Key.ProductId is null).ThenBy(g => g.Key.Product, StringComparer.Ordinal)
            .Select(g => new HelpCentreShelf(g.Key.ProductId, g.Key.Product ?? "General",
                g.OrderBy(r => r.Title, StringComparer.Ordinal).Select(r => new PublicArticleHit(r.Title, r.Slug, r.Product, Excerpt(Markdown.ToPlainText(r.Body), []))).ToList()))
            .ToList();
    }

    public async Task<HelpCentreSettingsDto> SettingsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        // Every public page reads these: the logo's bytes stay in the database.
        var settings = await db.HelpCentreSettings.AsNoTracking()
            .Select(s => new { s.CompanyName, s.AccentColour, s.Welcome, s.Version, s.LogoHash }).SingleOrDefaultAsync(ct);
        return settings is null
            ? new HelpCentreSettingsDto("Help centre", "#1f6feb", "", Guid.Empty)
            : new HelpCentreSettingsDto(settings.CompanyName, settings.AccentColour, settings.Welcome, settings.Version,
                settings.LogoHash is { } hash ? $"{LogoPath}?v={hash[..12]}" : null);
    }

    /// <summary>Where the logo is served to anyone (public pages show it); the query names the logo, so browsers may keep it.</summary>
    public const string LogoPath = "/brand/logo";

    public const int MaxLogoBytes = 256 * 1024;

    /// <summary>The logo and its media type; null without one.</summary>
    public async Task<(byte[] Bytes, string Type, string Hash)?> LogoAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var logo = await db.HelpCentreSettings.AsNoTracking().Where(s => s.Logo != null)
            .Select(s => new { s.Logo, s.LogoType, s.LogoHash }).SingleOrDefaultAsync(ct);
        return logo is null ? null : (logo.Logo!, logo.LogoType!, logo.LogoHash!);
    }

    /// <summary>
    /// Sets the logo from an uploaded image: PNG, JPEG or WebP by its first bytes (not by what the upload claims; SVG is
    /// refused, it can carry script), at most <see cref="MaxLogoBytes"/>. Null bytes remove it.
    /// </summary>
    public async Task<HelpCentreSettingsDto> SaveLogoAsync(byte[]? image, CancellationToken ct = default)
    {
        string? type = null;
        if (image is not null)
        {
            type = ImageType(image);
            if (image.Length == 0 || image.Length > MaxLogoBytes)
            {
                RequestValidationException.ThrowIfAny([("logo", $"The logo must be an image of at most {MaxLogoBytes / 1024} KB.")]);
            }

            if (type is null)
            {
                RequestValidationException.ThrowIfAny([("logo", "The logo must be a PNG, JPEG or WebP image.")]);
            }
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var settings = await db.HelpCentreSettings.SingleOrDefaultAsync(ct);
        if (settings is null)
        {
            settings = new HelpCentreSettings { CompanyName = "Help centre" };
            db.HelpCentreSettings.Add(settings);
        }

        settings.Logo = image;
        settings.LogoType = type;
        settings.LogoHash = image is null ? null : Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(image));
        await db.SaveChangesAsync(ct);
        return await SettingsAsync(ct);
    }

    private static string? ImageType(ReadOnlySpan<byte> bytes) => bytes switch
    {
        [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => "image/png",
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [(byte)'R', (byte)'I', (byte)'F', (byte)'F', _, _, _, _, (byte)'W', (byte)'E', (byte)'B', (byte)'P', ..] => "image/webp",
        _ => null,
    };

    public async Task<HelpCentreSettingsDto> SaveSettingsAsync(HelpCentreSettingsInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var settings = await db.HelpCentreSettings.SingleOrDefaultAsync(ct);
        if (settings is null)
        {
            settings = new HelpCentreSettings();
            db.HelpCentreSettings.Add(settings);
        }
        else
        {
            db.ExpectVersion(settings, input.Version);
        }

        (settings.CompanyName, settings.AccentColour, settings.Welcome) = (input.CompanyName.Trim(), input.AccentColour.ToLowerInvariant(), input.Welcome?.Trim() ?? "");
        await db.SaveChangesAsync(ct);
        return await SettingsAsync(ct);
    }

    /// <summary>Products and their services, for choosing what an article is about.</summary>
    public async Task<IReadOnlyList<(Guid Id, string Name, Guid? ProductId)>> SubjectsAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var products = await db.Products.AsNoTracking().Where(p => p.ArchivedAt == null).OrderBy(p => p.Name).Select(p => new { p.Id, p.Name }).ToListAsync(ct);
        var services = await db.Services.AsNoTracking().Where(s => s.ArchivedAt == null).OrderBy(s => s.Name).Select(s => new { s.Id, s.Name, s.ProductId }).ToListAsync(ct);
        return products.Select(p => (p.Id, p.Name, (Guid?)null)).Concat(services.Select(s => (s.Id, s.Name, (Guid?)s.ProductId))).ToList();
    }

    private static async Task CheckAsync(PsmDb db, ArticleInput input, CancellationToken ct)
    {
        // The API checks these attributes before the call; the pages call here directly.
        var results = new List<System.ComponentModel.DataAnnotations.ValidationResult>();
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(input, new(input), results, validateAllProperties: true);
        var problems = results.SelectMany(r => r.MemberNames.DefaultIfEmpty("").Select(m => (m.Length == 0 ? "" : char.ToLowerInvariant(m[0]) + m[1..], r.ErrorMessage ?? "Not valid."))).ToList();
        if (input.ProductId is { } product && !await db.Products.AnyAsync(p => p.Id == product, ct))
        {
            problems.Add(("productId", "There is no such product."));
        }

        if (input.ServiceId is { } service && await db.Services.Where(s => s.Id == service).Select(s => (Guid?)s.ProductId).SingleOrDefaultAsync(ct) is var owner)
        {
            if (owner is null)
            {
                problems.Add(("serviceId", "There is no such service."));
            }
            else if (input.ProductId is { } p && owner != p)
            {
                problems.Add(("serviceId", "The service belongs to another product."));
            }
        }

        foreach (var (tag, i) in (input.Tags ?? []).Select((t, i) => (t, i)))
        {
            if (string.IsNullOrWhiteSpace(tag) || tag.Trim().Length > 40 || tag.Contains(','))
            {
                problems.Add(($"tags[{i}]", "A tag is 1 to 40 characters, without commas."));
            }
        }

        RequestValidationException.ThrowIfAny(problems);
    }

    private static void Apply(PsmDb db, Article article, ArticleInput input, DateTimeOffset now)
    {
        article.Title = input.Title.Trim();
        article.Body = input.Body.Replace("\r\n", "\n").Trim();
        article.Tags = string.Join(',', (input.Tags ?? []).Select(t => t.Trim().ToLowerInvariant()).Where(t => t.Length > 0).Distinct());
        (article.ProductId, article.ServiceId) = (input.ProductId, input.ServiceId);
        article.Author = (db.CurrentUser?.Actor ?? Actor.System).Name;
        (article.UpdatedAt, article.ReviewedAt) = (now, now);
    }

    private static ArticleRevision RevisionOf(Article article, DateTimeOffset now) => new()
    {
        ArticleId = article.Id, Number = article.Revision, Title = article.Title, Body = article.Body, Tags = article.Tags, Author = article.Author, At = now,
    };

    /// <summary>An address made from the title (lower-case words joined by dashes), made unique with a number.</summary>
    private static async Task<string> FreeSlugAsync(PsmDb db, string title, CancellationToken ct)
    {
        var words = NotSlug().Replace(title.Trim().ToLowerInvariant(), "-").Trim('-');
        var stem = words.Length == 0 ? "article" : words.Length > 100 ? words[..100].TrimEnd('-') : words;
        var taken = (await db.Articles.Where(a => a.Slug == stem || a.Slug.StartsWith(stem + "-")).Select(a => a.Slug).ToListAsync(ct)).ToHashSet();
        var slug = stem;
        for (var n = 2; taken.Contains(slug); n++)
        {
            slug = $"{stem}-{n}";
        }

        return slug;
    }

    internal static IReadOnlyList<string> SplitTags(string tags) => tags.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static readonly HashSet<string> CommonWords =
    [
        "the", "and", "for", "how", "can", "does", "what", "why", "when", "where", "who", "you", "your", "our", "with", "from", "this", "that", "are", "was",
        "not", "but", "have", "has", "get", "use", "into", "out", "there", "their", "they", "them", "any", "all", "its", "i'm", "wont", "cant", "doesn't",
    ];

    /// <summary>The words of a search worth looking for: lower-case, three letters or more, common words left out, at most eight.</summary>
    internal static IEnumerable<string> Terms(string? query) =>
        Word().Matches((query ?? "").ToLowerInvariant()).Select(m => m.Value).Where(w => w.Length >= 3 && !CommonWords.Contains(w)).Distinct().Take(8);

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex NotSlug();

    [GeneratedRegex(@"[\p{L}\p{N}][\p{L}\p{N}'-]*")]
    private static partial Regex Word();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

/// <summary>Markdown as PSM shows it: CommonMark with tables and lists, raw HTML escaped, and the result sanitised again.</summary>
public static class Markdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UsePipeTables().UseAutoLinks().UseEmphasisExtras().DisableHtml().Build();
    private static readonly Ganss.Xss.HtmlSanitizer Sanitizer = new();

    public static string ToSafeHtml(string markdown) => Sanitizer.Sanitize(Markdig.Markdown.ToHtml(markdown, Pipeline));

    public static string ToPlainText(string markdown) => Markdig.Markdown.ToPlainText(markdown, Pipeline);
}
