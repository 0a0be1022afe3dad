using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Web.Features.Feedback;

public sealed record FeedbackFilter(
    string? Search = null, FeedbackStatus? Status = null, FeedbackChannel? Channel = null, Guid? ThemeId = null, bool Untagged = false,
    Guid? ProductId = null, Guid? ServiceId = null, Guid? CustomerId = null, Guid? InitiativeId = null, SentimentLabel? Sentiment = null,
    bool OnlyOpen = false);

public sealed record IngestResult(int Received, int Created, int Duplicates, IReadOnlyList<ImportRowProblem> Rejected);

public sealed record EvidenceSummaryDto(
    int Items, int Customers, decimal CustomerRevenue, int Critical, int Important, int NiceToHave,
    IReadOnlyList<ThemeCountDto> Themes, IReadOnlyList<EvidenceQuoteDto> Quotes);

public sealed record ThemeCountDto(Guid Id, string Name, int Items);

public sealed record EvidenceQuoteDto(Guid FeedbackId, string Text, string? Customer, FeedbackChannel Channel, EvidenceImportance Importance, DateTimeOffset ReceivedAt);

public sealed record ThemeSuggestionDto(string Phrase, int Items, IReadOnlyList<string> Examples);

/// <summary>Feedback from every channel: arrival (themed and scored), the triage inbox, themes and evidence.</summary>
public sealed class FeedbackInbox(IDbContextFactory<PsmDb> dbs, TimeProvider time)
{
    public const int MaxIngestBatch = 1000;

    public async Task<Page<FeedbackDto>> ListAsync(FeedbackFilter filter, PageRequest page, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var rows = await Project(PageOf(db, filter, page)).ToListAsync(ct);
        return page.ToPage(rows, f => PageRequest.NewestFirstKey(f.ReceivedAt, f.Id));
    }

    /// <summary>The rows of one page, newest first, plus one to tell whether another follows.</summary>
    public static IQueryable<FeedbackItem> PageOf(PsmDb db, FeedbackFilter filter, PageRequest page)
    {
        var query = Filtered(db, filter);
        if (page.NewestFirstAfter() is ({ } afterAt, { } afterId))
        {
            query = query.Seek(f => f.ReceivedAt, f => f.Id, afterAt, afterId, descending: true);
        }

        return query.OrderByDescending(f => f.ReceivedAt).ThenByDescending(f => f.Id).Take(page.Limit + 1);
    }

    public async Task<int> CountAsync(FeedbackFilter filter, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Filtered(db, filter).CountAsync(ct);
    }

    public async IAsyncEnumerable<FeedbackDto> StreamAsync(
        FeedbackFilter filter, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var query = Project(Filtered(db, filter).OrderByDescending(f => f.ReceivedAt).ThenByDescending(f => f.Id)).AsSplitQuery();
        await foreach (var row in query.AsAsyncEnumerable().WithCancellation(ct))
        {
            yield return row;
        }
    }

    public async Task<FeedbackDto?> GetAsync(Guid id, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        return await Project(db.Set<FeedbackItem>().AsNoTracking().Where(f => f.Id == id)).SingleOrDefaultAsync(ct);
    }

    /// <summary>Records one item: checked, scored for sentiment and tagged with every theme it matches.</summary>
    public async Task<FeedbackDto> CreateAsync(FeedbackInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var refs = await References.LoadAsync(db, [input], ct);
        var problems = Check(input, refs).ToList();
        if (input.SourceRef is { Length: > 0 } source && await db.Set<FeedbackItem>().AnyAsync(f => f.Channel == input.Channel && f.SourceRef == source.Trim(), ct))
        {
            problems.Add(("sourceRef", $"Feedback from {input.Channel} with source reference '{source.Trim()}' is already recorded."));
        }

        RequestValidationException.ThrowIfAny(problems);
        var matcher = await MatcherAsync(db, ct);
        var item = NewItem(input, matcher);
        db.Set<FeedbackItem>().Add(item);
        await db.SaveChangesAsync(ct);

        // Answered from what was just written, not read back: a new item has no evidence and no tags by hand.
        return new FeedbackDto(
            item.Id, item.Text, item.Channel, item.CustomerId is { } customer ? new NamedRef(customer, refs.Customers[customer]) : null, item.ProductId, item.ServiceId,
            item.Rating, item.ReceivedAt, item.SourceRef, item.Status, item.Sentiment, item.SentimentLabel,
            item.Themes.Select(t => new ThemeTagDto(t.ThemeId, matcher.NameOf(t.ThemeId), t.ByHand)).OrderBy(t => t.Name, StringComparer.Ordinal).ToList(),
            [], item.Version);
    }

    /// <summary>
    /// Takes a batch from another system. Every row is checked; a row already recorded (same channel
    /// and source reference) is skipped, not duplicated. With <paramref name="allOrNothing"/> one bad
    /// row rejects the batch; otherwise the good rows are stored and each bad one is reported.
    /// </summary>
    public async Task<IngestResult> IngestAsync(IReadOnlyList<FeedbackInput> items, bool allOrNothing, CancellationToken ct = default)
    {
        if (items.Count > MaxIngestBatch)
        {
            throw new RequestValidationException("items", $"Send at most {MaxIngestBatch} items per request.");
        }

        await using var db = await dbs.CreateDbContextAsync(ct);
        var refs = await References.LoadAsync(db, items, ct);
        var sources = items.Where(i => i.SourceRef is { Length: > 0 }).Select(i => i.SourceRef!.Trim()).Distinct().ToList();
        var known = (await db.Set<FeedbackItem>().Where(f => f.SourceRef != null && sources.Contains(f.SourceRef))
                .Select(f => new { f.Channel, f.SourceRef }).ToListAsync(ct))
            .Select(f => (f.Channel, f.SourceRef!)).ToHashSet();
        var matcher = await MatcherAsync(db, ct);
        var rejected = new List<ImportRowProblem>();
        var duplicates = 0;
        var accepted = new List<FeedbackItem>();
        for (var row = 0; row < items.Count; row++)
        {
            var input = items[row];
            var problems = RowValidator<FeedbackInput>.Instance.Problems(input).Concat(Check(input, refs)).ToList();
            if (problems.Count > 0)
            {
                rejected.AddRange(problems.Select(p => new ImportRowProblem(row + 1, p.Field, p.Message)));
                continue;
            }

            if (input.SourceRef is { Length: > 0 } source && !known.Add((input.Channel!.Value, source.Trim())))
            {
                duplicates++;
                continue;
            }

            accepted.Add(NewItem(input, matcher));
        }

        if (rejected.Count > 0 && allOrNothing)
        {
            return new IngestResult(items.Count, 0, duplicates, rejected);
        }

        db.Set<FeedbackItem>().AddRange(accepted);
        await db.SaveChangesAsync(ct);
        return new IngestResult(items.Count, accepted.Count, duplicates, rejected);
    }

    /// <summary>Applies one triage action to many items; the inbox's keys and bulk bar both land here.</summary>
    public async Task<int> TriageAsync(TriageRequest request, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var ids = request.FeedbackIds.Distinct().ToList();
        var items = await db.Set<FeedbackItem>().Include(f => f.Themes).Include(f => f.Evidence)
            .Where(f => ids.Contains(f.Id)).ToListAsync(ct);
        if (items.Count != ids.Count)
        {
            throw new RequestValidationException("feedbackIds", $"{ids.Count - items.Count} of the feedback items do not exist.");
        }

        var actor = db.CurrentUser?.Actor ?? Actor.System;
        switch (request.Action)
        {
            case TriageAction.Tag or TriageAction.Untag:
                if (request.ThemeId is not { } themeId || !await db.Set<Theme>().AnyAsync(t => t.Id == themeId, ct))
                {
                    throw new RequestValidationException("themeId", "Choose an existing theme.");
                }

                foreach (var item in items)
                {
                    var tag = item.Themes.FirstOrDefault(t => t.ThemeId == themeId);
                    if (request.Action == TriageAction.Tag && tag is null)
                    {
                        item.Themes.Add(new FeedbackTheme { FeedbackId = item.Id, ThemeId = themeId, ByHand = true });
                    }
                    else if (request.Action == TriageAction.Untag && tag is not null)
                    {
                        item.Themes.Remove(tag);
                    }

                    Promote(item, FeedbackStatus.Triaged);
                }

                break;

            case TriageAction.Link:
                if (request.InitiativeId is not { } initiativeId || !await db.Initiatives.AnyAsync(i => i.Id == initiativeId, ct))
                {
                    throw new RequestValidationException("initiativeId", "Choose an existing initiative.");
                }

                foreach (var item in items)
                {
                    var link = item.Evidence.FirstOrDefault(e => e.InitiativeId == initiativeId);
                    if (link is null)
                    {
                        item.Evidence.Add(new Evidence
                        {
                            FeedbackId = item.Id, InitiativeId = initiativeId, Importance = request.Importance, LinkedAt = time.GetUtcNow(),
                            LinkedBy = actor.Name,
                        });
                    }
                    else
                    {
                        link.Importance = request.Importance;
                    }

                    Promote(item, FeedbackStatus.LinkedToInitiative);
                }

                break;

            case TriageAction.Triage:
                items.ForEach(i => Promote(i, FeedbackStatus.Triaged));
                break;

            case TriageAction.Close:
                items.ForEach(i => i.Status = FeedbackStatus.Closed);
                break;

            case TriageAction.Reopen:
                items.ForEach(i => i.Status = i.Evidence.Count > 0 ? FeedbackStatus.LinkedToInitiative : FeedbackStatus.Triaged);
                break;
        }

        await db.SaveChangesAsync(ct);
        return items.Count;
    }

    public async Task<bool> UnlinkAsync(Guid feedbackId, Guid initiativeId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var item = await db.Set<FeedbackItem>().Include(f => f.Evidence).SingleOrDefaultAsync(f => f.Id == feedbackId, ct);
        var link = item?.Evidence.FirstOrDefault(e => e.InitiativeId == initiativeId);
        if (item is null || link is null)
        {
            return false;
        }

        item.Evidence.Remove(link);
        if (item.Evidence.Count == 0 && item.Status == FeedbackStatus.LinkedToInitiative)
        {
            item.Status = FeedbackStatus.Triaged;
        }

        await db.SaveChangesAsync(ct);
        return true;
    }

    // ---- themes ----

    public async Task<IReadOnlyList<ThemeDto>> ThemesAsync(CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var counts = await db.Set<FeedbackTheme>().GroupBy(t => t.ThemeId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var themes = await db.Set<Theme>().AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct);
        return themes.Select(t => ToDto(t, counts.GetValueOrDefault(t.Id))).ToList();
    }

    public async Task<ThemeDto> SaveThemeAsync(Guid? id, ThemeInput input, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var name = input.Name.Trim();
        var keywords = (input.Keywords ?? []).SelectMany(ThemeMatcher.ParseKeywords).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var problems = new List<(string, string)>();
        if (keywords.Count == 0)
        {
            problems.Add(("keywords", "Give at least one keyword or phrase that recognises the theme."));
        }

        if (await db.Set<Theme>().AnyAsync(t => t.Name == name && t.Id != id, ct))
        {
            problems.Add(("name", $"There is already a theme called '{name}'."));
        }

        RequestValidationException.ThrowIfAny(problems);
        Theme theme;
        if (id is { } existing)
        {
            theme = await db.Set<Theme>().SingleOrDefaultAsync(t => t.Id == existing, ct)
                ?? throw new KeyNotFoundException($"There is no theme {existing}.");
            db.ExpectVersion(theme, input.Version);
        }
        else
        {
            theme = new Theme { CreatedAt = time.GetUtcNow() };
            db.Set<Theme>().Add(theme);
        }

        theme.Name = name;
        theme.Description = input.Description.Trim();
        theme.Keywords = string.Join('\n', keywords);
        await db.SaveChangesAsync(ct);
        ThemeMatchers.Forget(db);
        return ToDto(theme, await db.Set<FeedbackTheme>().CountAsync(t => t.ThemeId == theme.Id, ct));
    }

    /// <summary>
    /// Runs one theme's rules over feedback already stored, a batch at a time, and adds the tag where
    /// it matches. Tags put on by hand are kept as they are.
    /// </summary>
    public async Task<int> ApplyThemeAsync(Guid themeId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var theme = await db.Set<Theme>().AsNoTracking().SingleOrDefaultAsync(t => t.Id == themeId, ct)
            ?? throw new KeyNotFoundException($"There is no theme {themeId}.");
        var matcher = new ThemeMatcher([(theme.Id, theme.Keywords)]);
        var added = 0;
        Guid? after = null;
        while (true)
        {
            var query = db.Set<FeedbackItem>().AsNoTracking().Where(f => !f.Themes.Any(t => t.ThemeId == themeId));
            if (after is { } last)
            {
                query = query.Where(f => f.Id.CompareTo(last) > 0);
            }

            var batch = await query.OrderBy(f => f.Id).Select(f => new { f.Id, f.Text }).Take(2000).ToListAsync(ct);
            if (batch.Count == 0)
            {
                break;
            }

            var tags = batch.Where(f => matcher.Match(f.Text).Count > 0)
                .Select(f => new FeedbackTheme { FeedbackId = f.Id, ThemeId = themeId }).ToList();
            db.Set<FeedbackTheme>().AddRange(tags);
            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
            added += tags.Count;
            after = batch[^1].Id;
        }

        return added;
    }

    /// <summary>
    /// Proposes themes from untagged feedback: the phrases (two words, or one telling word) that
    /// recur most among the latest untagged items and are not yet a theme's keyword.
    /// </summary>
    public async Task<IReadOnlyList<ThemeSuggestionDto>> SuggestThemesAsync(int sample = 2000, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var texts = await db.Set<FeedbackItem>().AsNoTracking().Where(f => !f.Themes.Any())
            .OrderByDescending(f => f.ReceivedAt).Select(f => f.Text).Take(sample).ToListAsync(ct);
        var taken = (await db.Set<Theme>().Select(t => t.Keywords).ToListAsync(ct))
            .SelectMany(ThemeMatcher.ParseKeywords).Select(k => k.TrimEnd('*').ToLowerInvariant()).ToHashSet();
        return PhraseMiner.Suggest(texts, taken);
    }

    // ---- evidence ----

    public async Task<EvidenceSummaryDto> EvidenceAsync(Guid initiativeId, CancellationToken ct = default)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        var links = db.Set<Evidence>().AsNoTracking().Where(e => e.InitiativeId == initiativeId);
        var byImportance = await links.GroupBy(e => e.Importance).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var customers = links.Where(e => e.Feedback!.CustomerId != null).Select(e => e.Feedback!.CustomerId!.Value).Distinct();
        var customerCount = await customers.CountAsync(ct);
        var revenue = await db.Customers.Where(c => customers.Contains(c.Id)).SumAsync(c => (decimal?)c.LifetimeValue, ct) ?? 0;
        var themes = await db.Set<FeedbackTheme>().Where(t => links.Any(e => e.FeedbackId == t.FeedbackId))
            .GroupBy(t => new { t.ThemeId, t.Theme!.Name }).Select(g => new ThemeCountDto(g.Key.ThemeId, g.Key.Name, g.Count()))
            .ToListAsync(ct);
        var quotes = await links.OrderByDescending(e => e.Importance == EvidenceImportance.Critical)
            .ThenByDescending(e => e.Importance == EvidenceImportance.Important).ThenByDescending(e => e.Feedback!.ReceivedAt)
            .Select(e => new EvidenceQuoteDto(e.FeedbackId, e.Feedback!.Text, e.Feedback.Customer == null ? null : e.Feedback.Customer.Name,
                e.Feedback.Channel, e.Importance, e.Feedback.ReceivedAt))
            .Take(5).ToListAsync(ct);
        return new EvidenceSummaryDto(byImportance.Values.Sum(), customerCount, revenue,
            byImportance.GetValueOrDefault(EvidenceImportance.Critical), byImportance.GetValueOrDefault(EvidenceImportance.Important),
            byImportance.GetValueOrDefault(EvidenceImportance.NiceToHave),
            themes.OrderByDescending(t => t.Items).ThenBy(t => t.Name).ToList(), quotes);
    }

    /// <summary>Per initiative: evidence items and distinct customers, for the prioritisation view.</summary>
    public static async Task<Dictionary<Guid, (int Items, int Customers, decimal Revenue)>> EvidenceCountsAsync(PsmDb db, CancellationToken ct)
    {
        var items = await db.Set<Evidence>().GroupBy(e => e.InitiativeId).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, ct);
        var customers = await db.Set<Evidence>().Where(e => e.Feedback!.CustomerId != null)
            .Select(e => new { e.InitiativeId, CustomerId = e.Feedback!.CustomerId!.Value }).Distinct()
            .Join(db.Customers, e => e.CustomerId, c => c.Id, (e, c) => new { e.InitiativeId, c.LifetimeValue })
            .GroupBy(e => e.InitiativeId).Select(g => new { g.Key, Count = g.Count(), Revenue = g.Sum(x => x.LifetimeValue) })
            .ToListAsync(ct);
        var byCustomer = customers.ToDictionary(c => c.Key);
        return items.ToDictionary(i => i.Key, i => byCustomer.TryGetValue(i.Key, out var c) ? (i.Value, c.Count, c.Revenue) : (i.Value, 0, 0m));
    }

    // ---- helpers ----

    private static void Promote(FeedbackItem item, FeedbackStatus status)
    {
        if (item.Status < status && item.Status != FeedbackStatus.Closed)
        {
            item.Status = status;
        }
    }

    private FeedbackItem NewItem(FeedbackInput input, ThemeMatcher matcher)
    {
        var now = time.GetUtcNow();
        var item = FeedbackItem.Arrived(input.Text.Trim(), input.Channel!.Value, input.ReceivedAt?.ToUniversalTime() ?? now, matcher, now);
        item.CustomerId = input.CustomerId;
        item.ProductId = input.ProductId;
        item.ServiceId = input.ServiceId;
        item.Rating = input.Rating;
        item.SourceRef = string.IsNullOrWhiteSpace(input.SourceRef) ? null : input.SourceRef.Trim();
        return item;
    }

    internal static Task<ThemeMatcher> MatcherAsync(PsmDb db, CancellationToken ct) => ThemeMatchers.ForAsync(db, ct);

    private IEnumerable<(string Field, string Message)> Check(FeedbackInput input, References refs)
    {
        if (input.CustomerId is { } c && !refs.Customers.ContainsKey(c))
        {
            yield return ("customerId", "There is no such customer.");
        }

        if (input.ProductId is { } p && !refs.Products.Contains(p))
        {
            yield return ("productId", "There is no such product.");
        }

        if (input.ServiceId is { } s && !refs.Services.Contains(s))
        {
            yield return ("serviceId", "There is no such service.");
        }

        if (input.ReceivedAt > time.GetUtcNow().AddMinutes(5))
        {
            yield return ("receivedAt", "Feedback cannot be received in the future.");
        }
    }

    private static IQueryable<FeedbackItem> Filtered(PsmDb db, FeedbackFilter filter)
    {
        var query = db.Set<FeedbackItem>().AsNoTracking();
        if (filter.Status is { } status)
        {
            query = query.Where(f => f.Status == status);
        }
        else if (filter.OnlyOpen)
        {
            query = query.Where(f => f.Status == FeedbackStatus.New || f.Status == FeedbackStatus.Triaged);
        }

        if (filter.Channel is { } channel)
        {
            query = query.Where(f => f.Channel == channel);
        }

        if (filter.ThemeId is { } theme)
        {
            query = query.Where(f => f.Themes.Any(t => t.ThemeId == theme));
        }

        if (filter.Untagged)
        {
            query = query.Where(f => !f.Themes.Any());
        }

        if (filter.ProductId is { } product)
        {
            query = query.Where(f => f.ProductId == product);
        }

        if (filter.ServiceId is { } service)
        {
            query = query.Where(f => f.ServiceId == service);
        }

        if (filter.CustomerId is { } customer)
        {
            query = query.Where(f => f.CustomerId == customer);
        }

        if (filter.InitiativeId is { } initiative)
        {
            query = query.Where(f => f.Evidence.Any(e => e.InitiativeId == initiative));
        }

        if (filter.Sentiment is { } label)
        {
            query = query.Where(f => f.SentimentLabel == label);
        }

        if (!string.IsNullOrWhiteSpace(filter.Search))
        {
            var term = filter.Search.Trim().ToLowerInvariant();
            query = query.Where(f => f.Text.ToLower().Contains(term));
        }

        return query;
    }

    internal static IQueryable<FeedbackDto> Project(IQueryable<FeedbackItem> query) =>
        query.Select(f => new FeedbackDto(
            f.Id, f.Text, f.Channel, f.Customer == null ? null : new NamedRef(f.Customer.Id, f.Customer.Name), f.ProductId, f.ServiceId,
            f.Rating, f.ReceivedAt, f.SourceRef, f.Status, f.Sentiment, f.SentimentLabel,
            f.Themes.OrderBy(t => t.Theme!.Name).Select(t => new ThemeTagDto(t.ThemeId, t.Theme!.Name, t.ByHand)).ToList(),
            f.Evidence.OrderBy(e => e.Initiative!.Name).Select(e => new EvidenceLinkDto(e.InitiativeId, e.Initiative!.Name, e.Importance)).ToList(),
            f.Version));

    private static ThemeDto ToDto(Theme t, int items) =>
        new(t.Id, t.Name, t.Description, ThemeMatcher.ParseKeywords(t.Keywords), items, t.Version);

    /// <summary>The customers, products and services a batch names that exist, fetched once per batch.</summary>
    private sealed record References(Dictionary<Guid, string> Customers, HashSet<Guid> Products, HashSet<Guid> Services)
    {
        public static async Task<References> LoadAsync(PsmDb db, IReadOnlyList<FeedbackInput> items, CancellationToken ct)
        {
            var customers = items.Where(i => i.CustomerId != null).Select(i => i.CustomerId!.Value).Distinct().ToList();
            var products = items.Where(i => i.ProductId != null).Select(i => i.ProductId!.Value).Distinct().ToList();
            var services = items.Where(i => i.ServiceId != null).Select(i => i.ServiceId!.Value).Distinct().ToList();
            return new References(
                customers.Count == 0 ? [] : await db.Customers.Where(c => customers.Contains(c.Id)).ToDictionaryAsync(c => c.Id, c => c.Name, ct),
                products.Count == 0 ? [] : (await db.Products.Where(p => products.Contains(p.Id)).Select(p => p.Id).ToListAsync(ct)).ToHashSet(),
                services.Count == 0 ? [] : (await db.Services.Where(s => services.Contains(s.Id)).Select(s => s.Id).ToListAsync(ct)).ToHashSet());
        }
    }
}
