using System.Globalization;
using System.Linq.Expressions;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Text;

namespace Psm.Web.Features.Search;

/// <summary>One thing found: what it is, its name, a line about it, and the page that shows it.</summary>
public sealed record SearchHit(Guid Id, string Title, string Detail, string Href);

/// <summary>The hits of one kind, best first.</summary>
public sealed record SearchGroup(string Kind, string Label, IReadOnlyList<SearchHit> Hits);

/// <summary>What a search found, grouped by kind; only the kinds the caller may read are searched.</summary>
public sealed record SearchResults(string Query, IReadOnlyList<SearchGroup> Groups);

/// <summary>
/// The search box in the app bar: customers (name), tickets (key or subject), initiatives, objectives, feedback, campaigns,
/// help-centre articles and, for administrators, users. Each kind is searched only when the caller holds its area's read
/// permission. Every word must match the start of a word in the name (a ticket key matches exactly).
/// PostgreSQL uses its full-text search (a prefix tsquery over to_tsvector('simple', ...), ranked by ts_rank, with GIN
/// indexes on the large tables); SQLite uses FTS5 (bm25) for customers and tickets (migration SearchFts) and matches each word
/// with LIKE elsewhere, ranking texts that start with the query first (ADR-018).
/// </summary>
public sealed partial class GlobalSearch(IDbContextFactory<PsmDb> dbs, IAuthorizationService authorization)
{
    public const int MinLength = 2;
    public const int MaxLength = 100;
    public const int PerGroup = 6;

    /// <summary>Checks the query; null when it can be searched, else what is wrong with it.</summary>
    public static string? Problem(string? query)
    {
        var q = query?.Trim() ?? "";
        if (q.Length < MinLength)
        {
            return $"Type at least {MinLength} characters.";
        }

        if (q.Length > MaxLength)
        {
            return $"A search is at most {MaxLength} characters.";
        }

        return Terms(q).Count == 0 ? "Type a word or a ticket key (letters or digits)." : null;
    }

    public Task<SearchResults> SearchAsync(ClaimsPrincipal user, string query, CancellationToken ct = default) =>
        SearchAsync(dbs, async permission => (await authorization.AuthorizeAsync(user, permission)).Succeeded, query, ct);

    /// <summary>Searches the kinds whose read permission <paramref name="mayRead"/> grants (the bench grants two).</summary>
    public static async Task<SearchResults> SearchAsync(IDbContextFactory<PsmDb> dbs, Func<string, Task<bool>> mayRead, string query, CancellationToken ct = default)
    {
        var q = query.Trim();
        var terms = Terms(q);
        var groups = new List<SearchGroup>();
        await using var db = await dbs.CreateDbContextAsync(ct);

        async Task AddAsync(string permission, string kind, string label, Func<Task<List<SearchHit>>> find)
        {
            if (await mayRead(permission))
            {
                var hits = await find();
                if (hits.Count > 0)
                {
                    groups.Add(new SearchGroup(kind, label, hits));
                }
            }
        }

        // One query at a time: a DbContext runs one command at once.
        await AddAsync(Permissions.ServiceRead, "tickets", "Tickets", () => TicketsAsync(db, q, terms, ct));
        await AddAsync(Permissions.CustomersRead, "customers", "Customers", () => CustomersAsync(db, q, terms, ct));
        await AddAsync(Permissions.RoadmapRead, "initiatives", "Initiatives", () => InitiativesAsync(db, q, terms, ct));
        await AddAsync(Permissions.StrategyRead, "objectives", "Objectives", () => ObjectivesAsync(db, q, terms, ct));
        await AddAsync(Permissions.FeedbackRead, "feedback", "Feedback", () => FeedbackAsync(db, q, terms, ct));
        await AddAsync(Permissions.CampaignsRead, "campaigns", "Campaigns", () => CampaignsAsync(db, q, terms, ct));
        await AddAsync(Permissions.HelpCentreRead, "articles", "Help-centre articles", () => ArticlesAsync(db, q, terms, ct));
        await AddAsync(Permissions.AdminUsers, "users", "Users", () => UsersAsync(db, q, terms, ct));
        return new SearchResults(q, groups);
    }

    /// <summary>The query's words: letters and digits only, lower case, at most eight.</summary>
    public static IReadOnlyList<string> Terms(string query) =>
        WordPattern().Matches(query.ToLowerInvariant()).Select(m => m.Value).Distinct().Take(8).ToList();

    /// <summary>A prefix tsquery: every word, each matching the start of a word ("rout:* &amp; rule:*").</summary>
    public static string PrefixQuery(IReadOnlyList<string> terms) => string.Join(" & ", terms.Select(t => t + ":*"));

    private static async Task<List<SearchHit>> TicketsAsync(PsmDb db, string q, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var hits = new List<SearchHit>();
        if (TicketKey().Match(q) is { Success: true } key
            && int.TryParse(key.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            var exact = await db.Tickets.AsNoTracking().Where(t => t.Number == number)
                .Select(t => new { t.Id, t.Number, t.Subject, Customer = t.Customer!.Name, t.Status }).FirstOrDefaultAsync(ct);
            if (exact is not null)
            {
                hits.Add(new SearchHit(exact.Id, $"T-{exact.Number} {exact.Subject}", $"{exact.Customer} · {Tickets.Describe(exact.Status)}", $"/service/tickets/{exact.Id}"));
            }
        }

        var rows = await BestAsync(db, db.Tickets.AsNoTracking(), t => t.Subject, q, terms, r => r.ThenByDescending(t => t.CreatedAt),
            new SqliteIndex("Tickets", "TicketsSearch", "", "t.\"CreatedAt\" DESC"),
            t => new { t.Id, t.Number, t.Subject, Customer = t.Customer!.Name, t.Status }, r => r.Id, ct);
        hits.AddRange(rows.Where(r => hits.All(h => h.Id != r.Id))
            .Select(r => new SearchHit(r.Id, $"T-{r.Number} {r.Subject}", $"{r.Customer} · {Tickets.Describe(r.Status)}", $"/service/tickets/{r.Id}")));
        return hits.Take(PerGroup).ToList();
    }

    private static async Task<List<SearchHit>> CustomersAsync(PsmDb db, string q, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var rows = await BestAsync(db, db.Customers.AsNoTracking().Where(c => c.ArchivedAt == null), c => c.Name, q, terms,
            r => r.ThenBy(c => c.Name.Length).ThenBy(c => c.Name),
            new SqliteIndex("Customers", "CustomersSearch", " AND t.\"ArchivedAt\" IS NULL", "length(t.\"Name\"), t.\"Name\""),
            c => new { c.Id, c.Name, c.Plan, c.Country, c.Industry }, r => r.Id, ct);
        return rows.Select(r => new SearchHit(r.Id, r.Name, Join(r.Plan, r.Industry, r.Country), $"/customers/{r.Id}")).ToList();
    }

    private static async Task<List<SearchHit>> InitiativesAsync(PsmDb db, string q, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var rows = await Ranked(db, db.Initiatives.AsNoTracking(), i => i.Name, q, terms).ThenBy(i => i.Name).Take(PerGroup)
            .Select(i => new { i.Id, i.Name, i.Status }).ToListAsync(ct);
        return rows.Select(r => new SearchHit(r.Id, r.Name, Roadmap.Roadmap.Describe(r.Status), $"/roadmap/initiatives/{r.Id}")).ToList();
    }

    private static async Task<List<SearchHit>> ObjectivesAsync(PsmDb db, string q, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var rows = await Ranked(db, db.Objectives.AsNoTracking(), o => o.Name, q, terms).ThenBy(o => o.Name).Take(PerGroup)
            .Select(o => new { o.Id, o.Name, o.Status, o.Type }).ToListAsync(ct);
        return rows.Select(r => new SearchHit(r.Id, r.Name, $"{Words.Of(r.Type)} · {Words.Of(r.Status)}", $"/objectives/{r.Id}")).ToList();
    }

    private static async Task<List<SearchHit>> FeedbackAsync(PsmDb db, string q, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var rows = await Ranked(db, db.Feedback.AsNoTracking(), f => f.Text, q, terms).ThenByDescending(f => f.ReceivedAt).Take(PerGroup)
            .Select(f => new { f.Id, f.Text, f.Channel, Customer = f.Customer == null ? null : f.Customer.Name, f.ReceivedAt }).ToListAsync(ct);
        return rows.Select(r => new SearchHit(
            r.Id, r.Text.Length > 120 ? r.Text[..117] + "…" : r.Text,
            Join(Words.Of(r.Channel), r.Customer ?? "anonymous", r.ReceivedAt.ToString("d MMM yyyy", CultureInfo.InvariantCulture)),
            $"/feedback?search={Uri.EscapeDataString(string.Join(' ', terms))}")).ToList();
    }

    private static async Task<List<SearchHit>> CampaignsAsync(PsmDb db, string q, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var rows = await Ranked(db, db.Campaigns.AsNoTracking(), c => c.Name, q, terms).ThenBy(c => c.Name).Take(PerGroup)
            .Select(c => new { c.Id, c.Name, c.Status, c.Goal }).ToListAsync(ct);
        return rows.Select(r => new SearchHit(r.Id, r.Name, $"{Words.Of(r.Goal)} · {Words.Of(r.Status)}", $"/campaigns/{r.Id}")).ToList();
    }

    private static async Task<List<SearchHit>> ArticlesAsync(PsmDb db, string q, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var rows = await Ranked(db, db.Articles.AsNoTracking(), a => a.Title, q, terms).ThenBy(a => a.Title).Take(PerGroup)
            .Select(a => new { a.Id, a.Title, a.Status }).ToListAsync(ct);
        return rows.Select(r => new SearchHit(r.Id, r.Title, Words.Of(r.Status), $"/service/help-centre/{r.Id}")).ToList();
    }

    private static async Task<List<SearchHit>> UsersAsync(PsmDb db, string q, IReadOnlyList<string> terms, CancellationToken ct)
    {
        var rows = await Ranked(db, db.Users.AsNoTracking(), u => u.DisplayName + " " + u.Email, q, terms).ThenBy(u => u.DisplayName).Take(PerGroup)
            .Select(u => new { u.Id, u.DisplayName, u.Email }).ToListAsync(ct);
        return rows.Select(r => new SearchHit(r.Id, r.DisplayName, r.Email ?? "", $"/admin/users?search={Uri.EscapeDataString(r.Email ?? "")}")).ToList();
    }

    /// <summary>An FTS5 index of migration SearchFts: the table, the index, the filter and the tie-break order in SQL.</summary>
    private sealed record SqliteIndex(string Table, string Index, string Filter, string ThenBy);

    /// <summary>
    /// The first page of a large table's matches, shaped by <paramref name="select"/>. PostgreSQL: <see cref="Ranked{T}"/>
    /// then <paramref name="thenBy"/>. SQLite: the table's FTS5 index (every word a prefix, ranked by bm25, then the same tie-break)
    /// gives the page's ids, and the rows are read by id. The filter in <paramref name="rows"/> must equal the index's.
    /// </summary>
    private static async Task<List<TResult>> BestAsync<T, TResult>(
        PsmDb db, IQueryable<T> rows, Expression<Func<T, string>> text, string q, IReadOnlyList<string> terms,
        Func<IOrderedQueryable<T>, IOrderedQueryable<T>> thenBy, SqliteIndex index, Expression<Func<T, TResult>> select,
        Func<TResult, Guid> idOf, CancellationToken ct)
        where T : class
    {
        if (!db.IsSqlite)
        {
            return await thenBy(Ranked(db, rows, text, q, terms)).Take(PerGroup).Select(select).ToListAsync(ct);
        }

        // The words are letters and digits only (Terms), so quoting each one is the whole of FTS5's escaping; the match
        // expression still goes to the database as a parameter.
        var match = string.Join(' ', terms.Select(t => $"\"{t}\"*"));
        // Only the index's constant names and the page size are written into the SQL; the match is parameter {0}.
#pragma warning disable EF1003
        var ids = await db.Database.SqlQueryRaw<Guid>(
            $"SELECT t.\"Id\" AS \"Value\" FROM \"{index.Index}\" s JOIN \"{index.Table}\" t ON t.rowid = s.rowid " +
            $"WHERE \"{index.Index}\" MATCH {{0}}{index.Filter} ORDER BY s.rank, {index.ThenBy} LIMIT {PerGroup}", match).ToListAsync(ct);
#pragma warning restore EF1003
        var row = Expression.Parameter(typeof(T), "r");
        var inPage = Expression.Lambda<Func<T, bool>>(
            Expression.Call(typeof(Enumerable), nameof(Enumerable.Contains), [typeof(Guid)], Parameter(ids), Expression.Property(row, "Id")), row);
        var found = await rows.Where(inPage).Select(select).ToListAsync(ct);
        return found.OrderBy(r => ids.IndexOf(idOf(r))).ToList();
    }

    /// <summary>
    /// The rows whose text holds every word, best first. PostgreSQL: to_tsvector('simple', text) @@ the prefix tsquery,
    /// by ts_rank (the expression the GIN indexes of migration SearchIndexes are built on). SQLite: a LIKE per word,
    /// texts that start with the query first. The words and patterns go to the database as parameters.
    /// </summary>
    private static IOrderedQueryable<T> Ranked<T>(PsmDb db, IQueryable<T> rows, Expression<Func<T, string>> text, string q, IReadOnlyList<string> terms)
    {
        var row = text.Parameters[0];
        if (db.IsSqlite)
        {
            foreach (var term in terms)
            {
                rows = rows.Where(Expression.Lambda<Func<T, bool>>(LikeCall(text.Body, "%" + Escape(term) + "%"), row));
            }

            return rows.OrderByDescending(Expression.Lambda<Func<T, bool>>(LikeCall(text.Body, Escape(q) + "%"), row));
        }

        var functions = Expression.Constant(EF.Functions);
        var vector = Expression.Call(typeof(NpgsqlFullTextSearchDbFunctionsExtensions), nameof(NpgsqlFullTextSearchDbFunctionsExtensions.ToTsVector), null,
            functions, Expression.Constant("simple"), text.Body);
        var query = Expression.Call(typeof(NpgsqlFullTextSearchDbFunctionsExtensions), nameof(NpgsqlFullTextSearchDbFunctionsExtensions.ToTsQuery), null,
            functions, Expression.Constant("simple"), Parameter(PrefixQuery(terms)));
        var matches = Expression.Call(typeof(NpgsqlFullTextSearchLinqExtensions), nameof(NpgsqlFullTextSearchLinqExtensions.Matches), null, vector, query);
        var rank = Expression.Call(typeof(NpgsqlFullTextSearchLinqExtensions), nameof(NpgsqlFullTextSearchLinqExtensions.Rank), null, vector, query);
        return rows.Where(Expression.Lambda<Func<T, bool>>(matches, row)).OrderByDescending(Expression.Lambda<Func<T, float>>(rank, row));
    }

    private static MethodCallExpression LikeCall(Expression text, string pattern) =>
        Expression.Call(typeof(DbFunctionsExtensions), nameof(DbFunctionsExtensions.Like), null,
            Expression.Constant(EF.Functions), text, Parameter(pattern), Expression.Constant("\\"));

    // A value read from a captured object becomes a SQL parameter, not a literal: one plan (and one compiled query) for every search.
    private static Expression Parameter<TValue>(TValue value) => Expression.Property(Expression.Constant(new Box<TValue>(value)), nameof(Box<TValue>.Value));

    private sealed record Box<TValue>(TValue Value);

    private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    private static string Join(params string?[] parts) => string.Join(" · ", parts.Where(p => !string.IsNullOrWhiteSpace(p)));

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"^\s*[Tt]-?(\d{1,9})\s*$")]
    private static partial Regex TicketKey();
}
