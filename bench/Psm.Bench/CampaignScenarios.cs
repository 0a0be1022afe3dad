using System.Data.Common;
using System.Globalization;
using Psm.Web.Data.Demo;
using Psm.Web.Features.Campaigns;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Infrastructure.Persistence;

namespace Psm.Bench;

/// <summary>
/// Campaigns: a consenting audience over a large customer base, and the aggregates behind a campaign's
/// results page over a year of daily results, each against the same questions in hand-written SQL.
/// </summary>
public static class CampaignScenarios
{
    public const string Audience = "campaign-audience";
    public const string Results = "campaign-results";

    /// <summary>The audience of a campaign targeting the Pro plan: matched, reachable (both consents), and contacts.</summary>
    public static async Task<ScenarioResult> RunAudienceAsync(string provider, int customers, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var now = DateTimeOffset.UtcNow;
        var rows = MetricSeriesScenario.WithoutPersonas(new DemoData().Customers(customers, now)).ToList();
        await MetricSeriesScenario.SeedAsync(database, rows);
        // One customer in ten has two named contacts; the rest are reached at their own address.
        await MetricSeriesScenario.SeedAsync(database, rows.Where((_, i) => i % 10 == 0)
            .SelectMany(c => new[] { 1, 2 }.Select(n => new CustomerContact { CustomerId = c.Id, Name = $"Contact {n}", Email = $"c{n}@{c.Id:N}.example" })));
        rows.Clear();
        var segment = new Segment { Name = "Pro", CreatedAt = now, Rules = new SegmentRules { Plans = ["Pro"] } };
        await using (var db = database.Factory().CreateDbContext())
        {
            db.Segments.Add(segment);
            await db.SaveChangesAsync();
        }

        await AnalyseAsync(database);
        var factory = database.Factory();
        AudienceCount psmCount = new(0, 0, 0, 0);
        AudienceCount rawCount = new(0, 0, 0, 0);
        async Task Psm()
        {
            await using var db = await factory.CreateDbContextAsync();
            psmCount = await Campaigns.AudienceAsync(db, segment, CancellationToken.None);
        }

        async Task Raw() => rawCount = await RawAudienceAsync(database);
        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);
        if (psmCount != rawCount || psmCount.Matched == 0)
        {
            throw new InvalidOperationException($"The audiences disagree: PSM {psmCount}, raw SQL {rawCount}.");
        }

        return new ScenarioResult(Audience, provider, customers, "audiences/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: "hand-written COUNT with CASE, IN and NOT EXISTS, ADO.NET");
    }

    /// <summary>
    /// One campaign's results page (by channel, by day, and the other campaigns' totals for its product and
    /// per channel) among <paramref name="campaigns"/> campaigns with a year of daily results on three channels.
    /// </summary>
    public static async Task<ScenarioResult> RunResultsAsync(string provider, int campaigns, int repeats)
    {
        await using var database = await BenchDatabase.CreateAsync(provider);
        var now = DateTimeOffset.UtcNow;
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var products = Enumerable.Range(0, 5).Select(i => new Product { Name = $"Product {i}", Stage = LifecycleStage.Growth, CreatedAt = now }).ToList();
        var channels = new[] { CampaignChannel.Email, CampaignChannel.Search, CampaignChannel.Social };
        var list = Enumerable.Range(0, campaigns).Select(i => new Campaign
        {
            Name = $"Campaign {i}", ProductId = products[i % products.Count].Id, Goal = (CampaignGoal)(i % 5), PlannedStage = LifecycleStage.Growth,
            Channels = [.. channels], StartsOn = today.AddDays(-365), EndsOn = today, Status = CampaignStatus.Running, Budget = 10_000, CreatedAt = now,
        }).ToList();
        await MetricSeriesScenario.SeedAsync(database, products);
        await MetricSeriesScenario.SeedAsync(database, list);
        var rng = new Random(5);
        await MetricSeriesScenario.SeedAsync(database, list.SelectMany(c => Enumerable.Range(0, 365).SelectMany(d => channels.Select(ch =>
        {
            var impressions = rng.Next(500, 5_000);
            var engagements = impressions * rng.Next(1, 10) / 100;
            return new CampaignResult
            {
                CampaignId = c.Id, Day = today.AddDays(-365 + d), Channel = ch, Impressions = impressions, Engagements = engagements,
                Conversions = engagements * rng.Next(1, 10) / 100, Spend = Math.Round((decimal)(impressions * rng.NextDouble() * 0.05), 2),
                Revenue = Math.Round((decimal)(rng.NextDouble() * 500), 2), RecordedAt = now,
            };
        }))));
        await AnalyseAsync(database);

        var factory = database.Factory();
        var target = list[campaigns / 2];
        string psmDigest = "", rawDigest = "";
        async Task Psm()
        {
            await using var db = await factory.CreateDbContextAsync();
            var (byChannel, daily, product, channelTypical) = await Campaigns.ResultQueriesAsync(db, target.Id, target.ProductId, CancellationToken.None);
            psmDigest = Digest(byChannel, daily.Count, daily.Sum(d => d.Totals.Conversions), product, channelTypical);
        }

        async Task Raw() => rawDigest = await RawResultsAsync(database, target.Id, target.ProductId);
        var (p, r) = await Measurement.PairAsync(Psm, Raw, repeats);
        if (psmDigest != rawDigest)
        {
            throw new InvalidOperationException($"The results disagree:\nPSM {psmDigest}\nraw {rawDigest}");
        }

        return new ScenarioResult(Results, provider, campaigns * 365 * channels.Length, "pages/s", p, r, 1 / p.Elapsed.TotalSeconds, 1 / r.Elapsed.TotalSeconds,
            Limit: "the same four GROUP BY queries by hand, ADO.NET");
    }


    private static async Task AnalyseAsync(BenchDatabase database)
    {
        await using var connection = await database.OpenRawAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "ANALYZE";
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<AudienceCount> RawAudienceAsync(BenchDatabase database)
    {
        var sqlite = database.Settings.Provider == DatabaseProvider.Sqlite;
        var both = sqlite ? """c."MarketingConsent" = 1 AND c."ProfilingConsent" = 1""" : """c."MarketingConsent" AND c."ProfilingConsent" """;
        const string matched = """c."ArchivedAt" IS NULL AND c."Plan" IN ('Pro')""";
        await using var connection = await database.OpenRawAsync();
        async Task<long[]> Row(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? 0 : Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture)).ToArray();
        }

        var counts = await Row($"""SELECT COUNT(*), SUM(CASE WHEN {both} THEN 1 ELSE 0 END) FROM "Customers" c WHERE {matched}""");
        var named = await Row($"""SELECT COUNT(*) FROM "CustomerContacts" x WHERE x."CustomerId" IN (SELECT c."Id" FROM "Customers" c WHERE {matched} AND {both})""");
        var own = await Row($"""
            SELECT COUNT(*) FROM "Customers" c WHERE {matched} AND {both}
              AND NOT EXISTS (SELECT 1 FROM "CustomerContacts" x WHERE x."CustomerId" = c."Id")
            """);
        return new AudienceCount((int)counts[0], (int)counts[1], (int)(counts[0] - counts[1]), (int)(named[0] + own[0]));
    }

    private static async Task<string> RawResultsAsync(BenchDatabase database, Guid campaignId, Guid productId)
    {
        var sqlite = database.Settings.Provider == DatabaseProvider.Sqlite;
        await using var connection = await database.OpenRawAsync();
        const string sums = """SUM(r."Impressions"), SUM(r."Engagements"), SUM(r."Conversions"), SUM(r."Spend"), SUM(r."Revenue")""";
        async Task<List<(string Key, ResultTotals Totals)>> Rows(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            MetricSeriesScenario.Add(command, "@campaign", sqlite ? campaignId.ToString().ToUpperInvariant() : campaignId);
            MetricSeriesScenario.Add(command, "@product", sqlite ? productId.ToString().ToUpperInvariant() : productId);
            var list = new List<(string, ResultTotals)>();
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (reader.IsDBNull(1))
                {
                    continue;
                }

                list.Add((Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture)!, new ResultTotals(
                    Convert.ToInt64(reader.GetValue(1), CultureInfo.InvariantCulture), Convert.ToInt64(reader.GetValue(2), CultureInfo.InvariantCulture),
                    Convert.ToInt64(reader.GetValue(3), CultureInfo.InvariantCulture), Convert.ToDecimal(reader.GetValue(4), CultureInfo.InvariantCulture),
                    Convert.ToDecimal(reader.GetValue(5), CultureInfo.InvariantCulture))));
            }

            return list;
        }

        var byChannel = await Rows($"""SELECT r."Channel", {sums} FROM "CampaignResults" r WHERE r."CampaignId" = @campaign GROUP BY r."Channel" """);
        var daily = await Rows($"""SELECT r."Day", {sums} FROM "CampaignResults" r WHERE r."CampaignId" = @campaign GROUP BY r."Day" """);
        var product = await Rows($"""
            SELECT 1, {sums} FROM "CampaignResults" r JOIN "Campaigns" c ON c."Id" = r."CampaignId"
            WHERE r."CampaignId" <> @campaign AND c."ProductId" = @product
            """);
        var typical = await Rows($"""SELECT r."Channel", {sums} FROM "CampaignResults" r WHERE r."CampaignId" <> @campaign GROUP BY r."Channel" """);
        return Digest(byChannel.ToDictionary(x => Enum.Parse<CampaignChannel>(x.Key), x => x.Totals), daily.Count, daily.Sum(d => d.Totals.Conversions),
            product.Count == 0 ? ResultTotals.Zero : product[0].Totals, typical.ToDictionary(x => Enum.Parse<CampaignChannel>(x.Key), x => x.Totals));
    }

    /// <summary>What both sides must agree on; money is compared to the cent (SQLite keeps it as a double).</summary>
    private static string Digest(
        Dictionary<CampaignChannel, ResultTotals> byChannel, int days, long dailyConversions, ResultTotals product, Dictionary<CampaignChannel, ResultTotals> typical)
    {
        static string T(ResultTotals t) => string.Create(CultureInfo.InvariantCulture,
            $"{t.Impressions}/{t.Engagements}/{t.Conversions}/{Math.Round(t.Spend, 1)}/{Math.Round(t.Revenue, 1)}");
        return $"{string.Join(";", byChannel.OrderBy(x => x.Key).Select(x => $"{x.Key}={T(x.Value)}"))} | {days} days, {dailyConversions} | {T(product)} | " +
               string.Join(";", typical.OrderBy(x => x.Key).Select(x => $"{x.Key}={T(x.Value)}"));
    }
}
