using System.Data.Common;
using System.Globalization;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Commerce;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// A company's year for the insights benches: customers with orders and subscriptions, NPS, CSAT and CES answers, tickets
/// under an SLA across products, teams and channels, and a year of campaign results. Dates run up to today.
/// </summary>
public sealed class InsightsData
{
    public required List<Customer> Customers { get; init; }
    public required List<Product> Products { get; init; }
    public required List<Team> Teams { get; init; }
    public required List<Survey> AllSurveys { get; init; }

    public static async Task<InsightsData> SeedAsync(BenchDatabase database, int customers, int answers, int tickets, int seed = 31)
    {
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var rng = new Random(seed);
        var people = MetricSeriesScenario.WithoutPersonas(new DemoData().Customers(customers, now)).ToList();
        await MetricSeriesScenario.SeedAsync(database, people);
        var products = Enumerable.Range(1, 20).Select(i => new Product { Name = $"Product {i}", Stage = LifecycleStage.Growth, CreatedAt = now }).ToList();
        await MetricSeriesScenario.SeedAsync(database, products);
        var teams = Enumerable.Range(1, 5).Select(i => new Team { Name = $"Tier {i}", CreatedAt = now }).ToList();
        await MetricSeriesScenario.SeedAsync(database, teams);

        // One subscription for every second customer over two and a half years, a quarter of them cancelled; one order per customer over two years.
        await MetricSeriesScenario.SeedAsync(database, people.Where((_, i) => i % 2 == 0).Select(c =>
        {
            var start = today.AddDays(-rng.Next(900));
            return new Subscription
            {
                CustomerId = c.Id, ProductId = products[rng.Next(products.Count)].Id, Plan = "Pro", MonthlyAmount = new[] { 90m, 390m, 1_990m }[rng.Next(3)],
                Currency = "EUR", StartedOn = start, CancelledOn = rng.Next(4) == 0 ? start.AddDays(1 + rng.Next(600)) : null, CreatedAt = now,
            };
        }));
        foreach (var chunk in people.Chunk(1_000_000))
        {
            await MetricSeriesScenario.SeedAsync(database, chunk.Select(c => new Order
            {
                CustomerId = c.Id, ProductId = products[rng.Next(products.Count)].Id, Amount = Math.Round((decimal)(50 + rng.NextDouble() * 2_000), 2),
                Currency = "EUR", OrderedOn = today.AddDays(-rng.Next(730)), CreatedAt = now,
            }));
        }

        // Three surveys per kind, each on a product; answers anonymous (one per customer and wave does not bound them), over the last year.
        var surveys = new List<Survey>();
        foreach (var kind in new[] { SurveyKind.Nps, SurveyKind.Csat, SurveyKind.Ces })
        {
            surveys.AddRange(Enumerable.Range(0, 3).Select(i => new Survey
            {
                Name = $"{kind} {i}", Kind = kind, Question = "How was it?", ProductId = products[i].Id, Status = SurveyStatus.Open, CreatedAt = now.AddYears(-1),
            }));
        }

        await MetricSeriesScenario.SeedAsync(database, surveys);
        var yearAgo = now.AddYears(-1);
        // Answers and tickets go in chunks: one COPY of millions of rows (each marking its rollup day) outlasts the driver's read timeout.
        for (var done = 0; done < answers; done += 500_000)
        {
            var count = Math.Min(500_000, answers - done);
            await MetricSeriesScenario.SeedAsync(database, Enumerable.Range(0, count).Select(_ =>
            {
                var pick = rng.NextDouble();
                var kind = pick < 0.6 ? SurveyKind.Nps : pick < 0.85 ? SurveyKind.Csat : SurveyKind.Ces;
                var survey = surveys[(kind switch { SurveyKind.Nps => 0, SurveyKind.Csat => 3, _ => 6 }) + rng.Next(3)];
                var at = yearAgo.AddSeconds(rng.NextDouble() * (now - yearAgo).TotalSeconds);
                var score = kind switch
                {
                    SurveyKind.Nps => Math.Min(10, (int)Math.Round(rng.NextDouble() * 4 + rng.NextDouble() * 7)),
                    SurveyKind.Csat => 1 + Math.Min(4, (int)(rng.NextDouble() * 2.2 + rng.NextDouble() * 3)),
                    _ => 1 + Math.Min(6, (int)(rng.NextDouble() * 3.5 + rng.NextDouble() * 4)),
                };
                return new SurveyResponse { SurveyId = survey.Id, Score = score, Channel = ResponseChannel.Import, RespondedAt = at, RespondedOn = DateOnly.FromDateTime(at.UtcDateTime) };
            }));
        }

        var calendar = new ServiceCalendar { Name = "Bench", TimeZoneId = "UTC", CreatedAt = now };
        var policy = new SlaPolicy { Name = "Normal", Priority = TicketPriority.Normal, FirstResponseMinutes = 240, ResolutionMinutes = 1_440, CalendarId = calendar.Id, CreatedAt = now };
        await MetricSeriesScenario.SeedAsync(database, new[] { calendar });
        await MetricSeriesScenario.SeedAsync(database, new[] { policy });
        for (var done = 0; done < tickets; done += 250_000)
        {
            var count = Math.Min(250_000, tickets - done);
            var offset = done;
            await MetricSeriesScenario.SeedAsync(database, Enumerable.Range(offset, count).Select(i =>
            {
                var created = yearAgo.AddSeconds((now - yearAgo).TotalSeconds * i / tickets);
                var open = created > now.AddDays(-3) ? rng.Next(3) == 0 : rng.Next(500) == 0;
                var first = rng.Next(10, 600);
                var resolution = first + rng.Next(30, 3_000);
                var ticket = new Ticket
                {
                    Number = 1_001 + i, Subject = "Bench ticket", CustomerId = people[rng.Next(people.Count)].Id, ProductId = products[rng.Next(products.Count)].Id,
                    Channel = (TicketChannel)rng.Next(5), Priority = (TicketPriority)rng.Next(4), Status = open ? TicketStatus.Open : TicketStatus.Closed,
                    TeamId = teams[rng.Next(teams.Count)].Id, CreatedAt = created, SlaPolicyId = policy.Id, FirstResponseDueAt = created.AddMinutes(240),
                    ResolutionDueAt = created.AddMinutes(1_440), EscalationLevel = rng.Next(8) == 0 ? 1 : 0, Reopened = rng.Next(30) == 0 ? 1 : 0,
                };
                if (created.AddMinutes(first) < now)
                {
                    ticket.FirstResponseAt = created.AddMinutes(first);
                    ticket.FirstResponseMinutes = first;
                }

                if (rng.Next(10) == 0) ticket.FirstResponseBreachedAt = ticket.FirstResponseDueAt;
                if (!open)
                {
                    ticket.ResolvedAt = created.AddMinutes(resolution) < now ? created.AddMinutes(resolution) : now;
                    ticket.ResolutionMinutes = resolution;
                    ticket.ClosedAt = ticket.ResolvedAt;
                    if (rng.Next(12) == 0) ticket.ResolutionBreachedAt = ticket.ResolutionDueAt;
                }

                return ticket;
            }));
        }

        // Twenty campaigns over the year, finished (so none is judged as running), with daily results on one channel each.
        var campaigns = Enumerable.Range(0, 20).Select(i => new Campaign
        {
            Name = $"Campaign {i}", ProductId = products[i].Id, Goal = (CampaignGoal)(i % 5), PlannedStage = LifecycleStage.Growth, Channels = [CampaignChannel.Email],
            StartsOn = today.AddDays(-365), EndsOn = today.AddDays(-1), Status = CampaignStatus.Completed, Budget = 50_000, CreatedAt = now.AddYears(-1),
        }).ToList();
        await MetricSeriesScenario.SeedAsync(database, campaigns);
        await MetricSeriesScenario.SeedAsync(database, campaigns.SelectMany(c => Enumerable.Range(0, 365).Select(d =>
        {
            var impressions = rng.Next(500, 5_000);
            var engagements = impressions * rng.Next(1, 10) / 100;
            return new CampaignResult
            {
                CampaignId = c.Id, Day = today.AddDays(-365 + d), Channel = CampaignChannel.Email, Impressions = impressions, Engagements = engagements,
                Conversions = engagements * rng.Next(1, 10) / 100, Spend = Math.Round((decimal)(impressions * rng.NextDouble() * 0.05), 2),
                Revenue = Math.Round((decimal)(rng.NextDouble() * 500), 2), RecordedAt = now,
            };
        })));

        await using (var connection = await database.OpenRawAsync())
        await using (var analyse = connection.CreateCommand())
        {
            analyse.CommandText = "ANALYZE";
            analyse.CommandTimeout = 0;
            await analyse.ExecuteNonQueryAsync();
        }

        return new InsightsData { Customers = people, Products = products, Teams = teams, AllSurveys = surveys };
    }

    /// <summary>Parameters and SQL fragments of each engine, for the hand-written side.</summary>
    public sealed class Sql(BenchDatabase database, DbConnection connection)
    {
        public bool Sqlite { get; } = database.Settings.Provider == DatabaseProvider.Sqlite;

        /// <summary>The transaction the connection is in, if any (SQLite wants each command to name it).</summary>
        public DbTransaction? Transaction { get; set; }

        public object Day(DateOnly day) => Sqlite ? day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : day;

        public object Id(Guid id) => Sqlite ? id.ToString().ToUpperInvariant() : id;

        public object Time(DateOnly day) => Sqlite
            ? new UtcTextConverter().ConvertToProvider(new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero))!
            : new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

        /// <summary>The first day of the month of a date column (a DateOnly) or of a time column (a DateTimeOffset, in UTC).</summary>
        public string MonthOfDay(string column) => Sqlite ? $"strftime('%Y-%m-01', {column})" : $"date_trunc('month', {column})::date";

        public string MonthOfTime(string column) => Sqlite ? $"strftime('%Y-%m-01', {column})" : $"date_trunc('month', {column} AT TIME ZONE 'UTC')::date";

        public DateOnly ReadMonth(DbDataReader reader, int i) =>
            Sqlite ? DateOnly.Parse(reader.GetString(i), CultureInfo.InvariantCulture) : DateOnly.FromDateTime(reader.GetDateTime(i));

        /// <summary>Rows read as text (names, numbers), for the parts of a page that show words.</summary>
        public async Task<List<string?[]>> TextAsync(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.Transaction = Transaction;
            var rows = new List<string?[]>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var row = new string?[reader.FieldCount];
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture);
                }

                rows.Add(row);
            }

            return rows;
        }

        public async Task<List<double?[]>> RowsAsync(string sql, params (string Name, object Value)[] parameters)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.CommandTimeout = 0;
            command.Transaction = Transaction;
            foreach (var (name, value) in parameters)
            {
                MetricSeriesScenario.Add(command, name, value);
            }

            var rows = new List<double?[]>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var row = new double?[reader.FieldCount];
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i) switch
                    {
                        string text when DateOnly.TryParse(text, CultureInfo.InvariantCulture, out var d) => d.DayNumber,
                        DateTime time => DateOnly.FromDateTime(time).DayNumber,
                        DateOnly day => day.DayNumber,
                        var value => Convert.ToDouble(value, CultureInfo.InvariantCulture),
                    };
                }

                rows.Add(row);
            }

            return rows;
        }
    }
}
