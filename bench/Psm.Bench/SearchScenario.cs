using System.Data.Common;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Search;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// Global search over 1 000 000 customers and 1 000 000 tickets: the first page of every group for a set of queries
/// people type (a ticket key, a company's name or its start, words of a subject, a word found nowhere), through
/// <see cref="GlobalSearch"/>, against the same full-text queries written by hand for each engine (tsvector and
/// ts_rank on PostgreSQL, FTS5 and bm25 on SQLite). The bench checks that both find the same records in the same order.
/// </summary>
public static class SearchScenario
{
    public const string Name = "global-search";

    private static readonly string[] Problems =
    [
        "Invoice export fails", "Password reset mail never arrives", "Calendar sync stops", "Dashboard loads slowly",
        "Cannot add a second admin", "Webhook retries pile up", "Mobile app logs me out", "Report totals look wrong",
        "Import rejects every row", "Single sign-on loop", "Refund not shown on statement", "Chat widget hidden on checkout",
        "Attachments over 10 MB fail", "Time zone wrong in reminders", "API key stopped working", "Survey link expired",
    ];

    private static readonly string[] Contexts =
    [
        "after the upgrade", "since Monday", "for our Berlin team", "on Android", "in the EU region", "for new users",
        "every morning", "with large files", "on Safari", "after a plan change", "for archived customers", "in the weekly digest",
    ];

    public static async Task<ScenarioResult> RunAsync(string provider, int customers, int tickets, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var now = DateTimeOffset.UtcNow;
        var people = MetricSeriesScenario.WithoutPersonas(new DemoData().Customers(customers, now)).ToList();
        await MetricSeriesScenario.SeedAsync(database, people);
        var rng = new Random(41);
        var yearAgo = now.AddYears(-1);
        // Tickets go in chunks of 200 000: one COPY of a million rows into a table with a GIN index outlasts the driver's read timeout.
        foreach (var chunk in Enumerable.Range(0, tickets).Chunk(200_000))
        {
            await MetricSeriesScenario.SeedAsync(database, chunk.Select(i => new Ticket
            {
                Number = 1_001 + i, Subject = $"{Problems[rng.Next(Problems.Length)]} {Contexts[rng.Next(Contexts.Length)]}",
                CustomerId = people[rng.Next(people.Count)].Id, Channel = (TicketChannel)rng.Next(5), Priority = (TicketPriority)rng.Next(4),
                Status = rng.Next(20) == 0 ? TicketStatus.Open : TicketStatus.Closed, CreatedAt = yearAgo.AddSeconds((now - yearAgo).TotalSeconds * i / tickets),
            }));
        }
        await using (var analyse = await database.OpenRawAsync())
        {
            await using var command = analyse.CreateCommand();
            command.CommandText = "ANALYZE";
            await command.ExecuteNonQueryAsync();
        }

        // What people type: a key, a company by its first word, by two words, by the start of two words, a name with its
        // number, the words of a subject, a subject word's start, and a word that is nowhere.
        var sample = people[people.Count / 3].Name.Split(' ');
        string[] queries =
        [
            $"T-{1_001 + tickets / 2}", sample[0], $"{sample[0]} {sample[1]}", $"{sample[0][..3]} {sample[1][..3]}",
            people[^7].Name, "invoice export", "passw", "sync android", "webhook retries monday", "qzxv",
        ];
        var factory = database.Factory();
        Task<bool> TicketsAndCustomers(string permission) => Task.FromResult(permission is Permissions.ServiceRead or Permissions.CustomersRead);
        var psm = new List<string>();
        var raw = new List<string>();
        async Task Psm()
        {
            psm.Clear();
            foreach (var query in queries)
            {
                var results = await GlobalSearch.SearchAsync(factory, TicketsAndCustomers, query);
                psm.Add(query + ": " + string.Join(" | ", results.Groups.Select(g => g.Kind + " " + string.Join(",", g.Hits.Select(h => h.Id)))));
            }
        }

        async Task Raw()
        {
            raw.Clear();
            await using var connection = await database.OpenRawAsync();
            foreach (var query in queries)
            {
                raw.Add(query + ": " + await RawSearchAsync(connection, provider, query));
            }
        }

        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);
        for (var i = 0; i < queries.Length; i++)
        {
            Check(psm[i] == raw[i], $"The searches disagree:\nPSM   {psm[i]}\nlimit {raw[i]}");
        }

        Check(psm.Count(line => line.Contains(',', StringComparison.Ordinal)) >= queries.Length / 2, "Most queries should find several records:\n" + string.Join("\n", psm));
        return new ScenarioResult(Name, provider, customers + tickets, "searches/s", p, r, queries.Length / p.Elapsed.TotalSeconds, queries.Length / r.Elapsed.TotalSeconds,
            Limit: provider == "postgres"
                ? "per query the ticket by key, then tickets and customers by hand: to_tsvector('simple', ...) @@ a prefix to_tsquery, ORDER BY ts_rank and the same tie-break, LIMIT 6, then joined for the customer's name, ADO.NET"
                : "per query the ticket by key, then tickets and customers by hand: the FTS5 index MATCH every word as a prefix, ORDER BY bm25 rank and the same tie-break, LIMIT 6, then joined for the customer's name, ADO.NET");
    }

    /// <summary>The same groups by hand: "tickets id,id | customers id,id", in PSM's order.</summary>
    private static async Task<string> RawSearchAsync(DbConnection connection, string provider, string query)
    {
        var terms = GlobalSearch.Terms(query);
        var groups = new List<string>();
        var ticketIds = new List<Guid>();
        if (System.Text.RegularExpressions.Regex.Match(query, @"^\s*[Tt]-?(\d{1,9})\s*$") is { Success: true } key)
        {
            ticketIds.AddRange(await IdsAsync(connection,
                "SELECT t.\"Id\", c.\"Name\", t.\"Subject\", t.\"Status\" FROM \"Tickets\" t JOIN \"Customers\" c ON c.\"Id\" = t.\"CustomerId\" WHERE t.\"Number\" = @p LIMIT 1",
                int.Parse(key.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }

        string ticketsSql, customersSql;
        object match;
        if (provider == "postgres")
        {
            match = GlobalSearch.PrefixQuery(terms);
            // The page first, then the join for the customer's name: six joins, not one per match.
            ticketsSql = "SELECT t.\"Id\", c.\"Name\", t.\"Subject\", t.\"Status\" FROM (SELECT \"Id\", \"Subject\", \"Status\", \"CustomerId\", " +
                         "ts_rank(to_tsvector('simple', \"Subject\"), to_tsquery('simple', @p)) AS r, \"CreatedAt\" FROM \"Tickets\" " +
                         "WHERE to_tsvector('simple', \"Subject\") @@ to_tsquery('simple', @p) ORDER BY r DESC, \"CreatedAt\" DESC LIMIT 6) t " +
                         "JOIN \"Customers\" c ON c.\"Id\" = t.\"CustomerId\" ORDER BY t.r DESC, t.\"CreatedAt\" DESC";
            customersSql = "SELECT c.\"Id\", c.\"Name\", c.\"Plan\", c.\"Country\" FROM \"Customers\" c " +
                           "WHERE c.\"ArchivedAt\" IS NULL AND to_tsvector('simple', c.\"Name\") @@ to_tsquery('simple', @p) " +
                           "ORDER BY ts_rank(to_tsvector('simple', c.\"Name\"), to_tsquery('simple', @p)) DESC, length(c.\"Name\"), c.\"Name\" LIMIT 6";
        }
        else
        {
            match = string.Join(' ', terms.Select(t => $"\"{t}\"*"));
            ticketsSql = "SELECT t.\"Id\", c.\"Name\", t.\"Subject\", t.\"Status\" FROM (SELECT t.\"Id\", t.\"Subject\", t.\"Status\", t.\"CustomerId\", s.rank AS r, t.\"CreatedAt\" " +
                         "FROM \"TicketsSearch\" s JOIN \"Tickets\" t ON t.rowid = s.rowid WHERE \"TicketsSearch\" MATCH @p ORDER BY s.rank, t.\"CreatedAt\" DESC LIMIT 6) t " +
                         "JOIN \"Customers\" c ON c.\"Id\" = t.\"CustomerId\" ORDER BY t.r, t.\"CreatedAt\" DESC";
            customersSql = "SELECT c.\"Id\", c.\"Name\", c.\"Plan\", c.\"Country\" FROM \"CustomersSearch\" s JOIN \"Customers\" c ON c.rowid = s.rowid " +
                           "WHERE \"CustomersSearch\" MATCH @p AND c.\"ArchivedAt\" IS NULL ORDER BY s.rank, length(c.\"Name\"), c.\"Name\" LIMIT 6";
        }

        foreach (var id in await IdsAsync(connection, ticketsSql, match))
        {
            if (!ticketIds.Contains(id))
            {
                ticketIds.Add(id);
            }
        }

        if (ticketIds.Count > 0)
        {
            groups.Add("tickets " + string.Join(",", ticketIds.Take(GlobalSearch.PerGroup)));
        }

        var customerIds = await IdsAsync(connection, customersSql, match);
        if (customerIds.Count > 0)
        {
            groups.Add("customers " + string.Join(",", customerIds));
        }

        return string.Join(" | ", groups);
    }

    /// <summary>Runs a query with one parameter @p and reads every column of every row, as PSM does; returns the first column's ids.</summary>
    private static async Task<List<Guid>> IdsAsync(DbConnection connection, string sql, object value)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@p";
        parameter.Value = value;
        command.Parameters.Add(parameter);
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
            for (var i = 1; i < reader.FieldCount; i++)
            {
                _ = reader.IsDBNull(i) ? null : reader.GetString(i);
            }
        }

        return ids;
    }

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }
}
