using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Admin;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Audit;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Http;

using static Psm.IntegrationTests.Problems;

namespace Psm.IntegrationTests;

/// <summary>Keyset paging: every order pages without gaps or repeats, and a deep page seeks on an index on both databases.</summary>
public sealed partial class PagingTests
{
    [Fact]
    public async Task TheQueuePagesByCursorInEveryOrderWithoutGapsOrRepeats()
    {
        await using var app = new PsmServer();
        using var agent = await app.ClientFor(PsmServer.EmailOf(Roles.SupportAgent));
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Quarry Tools", email = "ops@quarry.example", country = "NL" })).ReadAsync<CustomerDto>();
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var calendar = await (await admin.PostAsJsonAsync("/api/v1/sla/calendars", new
        {
            name = "Dublin office", timeZoneId = "Europe/Dublin", workingDays = new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" }, opens = "09:00", closes = "17:00",
        })).ReadAsync<ServiceCalendarDto>();
        (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "Urgent", priority = "Urgent", firstResponseMinutes = 60, resolutionMinutes = 240, calendarId = calendar.Id })).EnsureSuccessStatusCode();
        (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "High", priority = "High", firstResponseMinutes = 120, resolutionMinutes = 480, calendarId = calendar.Id })).EnsureSuccessStatusCode();
        string[] priorities = ["Low", "Urgent", "Normal", "High", "Normal", "Urgent", "Low", "High", "Normal"];
        var created = new List<TicketDto>();
        foreach (var (priority, i) in priorities.Select((p, i) => (p, i)))
        {
            created.Add(await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = $"Paging case {i}", customerId = customer.Id, priority })).ReadAsync<TicketDto>());
        }

        // Two resolved tickets have nothing due: the "Due" order puts them last on both databases.
        foreach (var ticket in created.Take(2))
        {
            (await agent.PutAsJsonAsync($"/api/v1/tickets/{ticket.Summary.Id}/status", new { status = "Resolved" })).EnsureSuccessStatusCode();
        }

        foreach (var sort in new[] { "Newest", "Oldest", "Priority", "Due" })
        {
            var whole = (await agent.GetFromJsonAsync<Page<TicketSummary>>($"/api/v1/tickets?view=All&sort={sort}&limit=500", Json.Options))!.Items.Select(t => t.Key).ToList();
            var walked = new List<string>();
            string? cursor = null;
            do
            {
                var page = (await agent.GetFromJsonAsync<Page<TicketSummary>>(
                    $"/api/v1/tickets?view=All&sort={sort}&limit=2" + (cursor is null ? "" : $"&cursor={cursor}"), Json.Options))!;
                walked.AddRange(page.Items.Select(t => t.Key));
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            Assert.Equal(priorities.Length, whole.Count);
            Assert.Equal(whole, walked);
        }

        var byPriority = (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=All&sort=Priority&limit=500", Json.Options))!.Items;
        Assert.Equal(byPriority.OrderByDescending(t => QueueCursor.RankOf(t.Priority)).ThenBy(t => int.Parse(t.Key[2..])).Select(t => t.Key), byPriority.Select(t => t.Key));
        var byDue = (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=All&sort=Due&limit=500", Json.Options))!.Items;
        Assert.Equal(3, byDue.Count(t => t.NextDueAt is not null));
        Assert.Equal(byDue.OrderBy(t => t.NextDueAt is null).ThenBy(t => t.NextDueAt).ThenBy(t => int.Parse(t.Key[2..])).Select(t => t.Key), byDue.Select(t => t.Key));

        // A ticket arriving between pages neither repeats a row nor shifts the next page.
        var first = (await agent.GetFromJsonAsync<Page<TicketSummary>>("/api/v1/tickets?view=All&limit=3", Json.Options))!;
        await (await agent.PostAsJsonAsync("/api/v1/tickets", new { subject = "Arrived mid-walk", customerId = customer.Id })).ReadAsync<TicketDto>();
        var second = (await agent.GetFromJsonAsync<Page<TicketSummary>>($"/api/v1/tickets?view=All&limit=3&cursor={first.NextCursor}", Json.Options))!;
        Assert.Equal(int.Parse(first.Items[^1].Key[2..]) - 1, int.Parse(second.Items[0].Key[2..]));

        // A cursor is bound to its order; another order's cursor is a field error, not a wrong page.
        Assert.Contains("cursor", (await Errors(await agent.GetAsync($"/api/v1/tickets?view=All&sort=Oldest&limit=3&cursor={first.NextCursor}"))).Keys);
    }

    [Fact]
    public async Task ADeepPageSeeksOnAnIndexInsteadOfFilteringEverythingAboveIt()
    {
        const int Rows = 6000;
        await using var app = new PsmServer();
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        var customer = await (await pm.PostAsJsonAsync("/api/v1/customers", new { name = "Deep List Ltd", email = "ops@deep.example", country = "IE" })).ReadAsync<CustomerDto>();

        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PsmDb>();
        db.SuppressEvents = true;
        db.SuppressRowAudit = true;
        var start = new DateTimeOffset(2026, 1, 5, 9, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < Rows; i++)
        {
            var at = start.AddMinutes(i);
            db.Feedback.Add(new FeedbackItem { Text = $"Deep item {i}", Channel = FeedbackChannel.Email, ReceivedAt = at, ReceivedOn = DateOnly.FromDateTime(at.UtcDateTime), CreatedAt = at });
            db.AuditEntries.Add(new AuditEntry { At = at, UserName = "seed", Action = AuditActions.Created, Entity = "Seed", EntityKey = i.ToString() });
            db.Tickets.Add(new Ticket { Number = 5000 + i, Subject = $"Deep ticket {i}", CustomerId = customer.Id, Status = TicketStatus.Open, CreatedAt = at });
            db.Customers.Add(new Customer { Name = $"Deep customer {i:D5}", Email = $"c{i}@deep.example", Country = "IE", CreatedAt = at });
        }

        await db.SaveChangesAsync();
        var postgres = app.Provider == "Postgres";
        await db.Database.ExecuteSqlRawAsync("ANALYZE");

        // Each list's cursor after the row at depth Rows - 1000: 5 000 rows lie above it.
        var deep = start.AddMinutes(999);
        var feedbackKey = await db.Feedback.Where(f => f.ReceivedAt == deep).Select(f => f.Id).SingleAsync();
        var auditKey = await db.AuditEntries.Where(e => e.At == deep).Select(e => e.Id).SingleAsync();
        var customerKey = await db.Customers.Where(c => c.Name == "Deep customer 05000").Select(c => c.Id).SingleAsync();
        var newestCursor = (DateTimeOffset at, Guid id) => new PageRequest(50, PageRequest.NewestFirstKey(at, id));

        await AssertSeeks(db, postgres, FeedbackInbox.PageOf(db, new FeedbackFilter(), newestCursor(deep, feedbackKey)), "ReceivedAt");
        await AssertSeeks(db, postgres, AuditLog.PageOf(db, new AuditFilter(), newestCursor(deep, auditKey)), "At");
        await AssertSeeks(db, postgres, QueueCursor.Seek(db.Tickets.Where(t => t.Status != TicketStatus.Resolved), QueueSort.Newest, new QueueCursor(6000)).Take(51), "Number");
        await AssertSeeks(db, postgres, db.Customers.After(ListSort.Name, ["Deep customer 05000", customerKey.ToString()]).Ordered(ListSort.Name).Take(51), "Name");

        // And the pages are the right ones: the 50 rows just below the cursor.
        var page = await FeedbackInbox.PageOf(db, new FeedbackFilter(), newestCursor(deep, feedbackKey)).ToListAsync();
        Assert.Equal(51, page.Count);
        Assert.Equal(start.AddMinutes(998), page[0].ReceivedAt);
    }

    [Fact]
    public async Task EverySqliteConnectionWaitsInTheEngineForAnotherWritersLock()
    {
        await using var app = new PsmServer(new() { ["Database:BusyTimeoutMs"] = "4321" });
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PsmDb>();
        if (app.Provider != "Sqlite")
        {
            Assert.Equal(4321, scope.ServiceProvider.GetRequiredService<Psm.Web.Infrastructure.Persistence.DatabaseSettings>().BusyTimeoutMs);
            return;
        }

        // Two leases of a pooled context, each on its own opened connection: both carry the setting.
        foreach (var _ in Enumerable.Range(0, 2))
        {
            await using var lease = scope.ServiceProvider.GetRequiredService<Microsoft.EntityFrameworkCore.IDbContextFactory<PsmDb>>().CreateDbContext();
            await lease.Database.OpenConnectionAsync();
            await using var command = lease.Database.GetDbConnection().CreateCommand();
            command.CommandText = "PRAGMA busy_timeout;";
            Assert.Equal(4321L, await command.ExecuteScalarAsync());
            Assert.Equal("wal", await lease.Database.SqlQueryRaw<string>("SELECT journal_mode AS \"Value\" FROM pragma_journal_mode").SingleAsync());
        }
    }

    [Fact]
    public async Task WhileAnotherWriterHoldsSqlitesLockAWriteIsRefusedWith503AndAKeysFirstUseStillAuthenticates()
    {
        await using var first = new PsmServer();
        var feedback = new { text = "Exports time out on large accounts", channel = "Email" };
        if (first.Provider != "Sqlite")
        {
            // PostgreSQL locks rows, not the database: there is no one writer to wait for.
            using var client = await first.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
            Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/feedback", feedback)).StatusCode);
            return;
        }

        // The provider retries a busy write until the command timeout (30 s unless the connection string says otherwise).
        var database = first.SameDatabase();
        await using var app = new PsmServer(new(database)
        {
            ["ConnectionStrings:Psm"] = database["ConnectionStrings:Psm"] + ";Default Timeout=1", ["Database:BusyTimeoutMs"] = "300",
        });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        await using (var holder = new Microsoft.Data.Sqlite.SqliteConnection(database["ConnectionStrings:Psm"]))
        {
            await holder.OpenAsync();
            await using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE;";
            await begin.ExecuteNonQueryAsync();

            // The key's first use cannot be recorded, and the call goes through anyway.
            Assert.Equal(HttpStatusCode.OK, (await pm.GetAsync("/api/v1/me")).StatusCode);
            var refused = await pm.PostAsJsonAsync("/api/v1/feedback", feedback);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("5", refused.Headers.GetValues("Retry-After").Single());
            Assert.Contains("Try again in a few seconds", (await refused.ReadAsync<ProblemBody>()).Detail);
        }

        Assert.Equal(HttpStatusCode.Created, (await pm.PostAsJsonAsync("/api/v1/feedback", feedback)).StatusCode);
    }

    /// <summary>
    /// PostgreSQL: the plan bounds an index scan on the key ("Index Cond") and filters away no more
    /// than the ties at the cursor. SQLite: the plan searches an index with a range on the key.
    /// </summary>
    private static async Task AssertSeeks<T>(PsmDb db, bool postgres, IQueryable<T> query, string key)
    {
        await using var command = query.CreateDbCommand();
        await db.Database.OpenConnectionAsync();
        command.CommandText = (postgres ? "EXPLAIN (ANALYZE, COSTS OFF) " : "EXPLAIN QUERY PLAN ") + command.CommandText;
        var plan = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(reader.FieldCount - 1));
            }
        }

        var text = string.Join("\n", plan);
        if (postgres)
        {
            Assert.True(Regex.IsMatch(text, $"Index Cond: .*\"{key}\"\\)?(::\\w+)? [<>]=?"), $"No index bound on {key}:\n{text}");
            Assert.DoesNotContain("Seq Scan", text);
            var removed = RemovedByFilter().Matches(text).Select(m => int.Parse(m.Groups[1].Value)).DefaultIfEmpty(0).Max();
            Assert.True(removed < 100, $"{removed} rows filtered away above the cursor:\n{text}");
        }
        else
        {
            Assert.True(Regex.IsMatch(text, $"SEARCH .* USING (COVERING )?INDEX .*\\({key}[<>]"), $"No index range on {key}:\n{text}");
        }
    }

    [GeneratedRegex(@"Rows Removed by Filter: (\d+)")]
    private static partial Regex RemovedByFilter();
}
