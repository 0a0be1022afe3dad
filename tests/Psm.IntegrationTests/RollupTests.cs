using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Psm.Web.Data;
using Psm.Web.Features.Catalog;
using Psm.Web.Features.Customers;
using Psm.Web.Features.Feedback;
using Psm.Web.Features.ServiceDesk;
using Psm.Web.Features.Strategy;
using Psm.Web.Infrastructure.Auth;
using Psm.Web.Infrastructure.Rollups;

namespace Psm.IntegrationTests;

/// <summary>
/// The daily rollups (ADR-015) against the rows they summarise, on random data: every metric that reads them
/// gives the figure computed from the rows, exactly for counts and rates, and for percentiles at most one bin
/// below it (exact under an hour). Checked after a catch-up, and again after changes of every kind before the
/// next catch-up (marked days are read from the rows) and after it. The changes include SQL that EF does not track
/// (a set-based update, the SLA monitor, a cascade delete, a bulk import): the database's triggers mark their days.
/// </summary>
public sealed class RollupTests
{
    private static readonly DateOnly End = new(2026, 11, 1);

    [Fact]
    public async Task EveryRolledUpFigureEqualsTheRawComputationOnRandomData()
    {
        await using var app = new PsmServer(new() { ["Rollups:Seconds"] = "0", ["Sla:MonitorSeconds"] = "0" });
        using var pm = await app.ClientFor(PsmServer.EmailOf(Roles.ProductManager));
        using var admin = await app.ClientFor(PsmServer.EmailOf(Roles.Admin));
        var products = new List<Guid>();
        foreach (var name in new[] { "Helpdesk", "Billing" })
        {
            products.Add((await (await pm.PostAsJsonAsync("/api/v1/products", new { name, stage = "Growth" })).ReadAsync<ProductDto>()).Id);
        }

        var calendar = await (await admin.PostAsJsonAsync("/api/v1/sla/calendars", new
        {
            name = "Always", timeZoneId = "UTC", workingDays = Enum.GetNames<DayOfWeek>(), opens = "00:00", closes = "23:59",
        })).ReadAsync<ServiceCalendarDto>();
        (await admin.PostAsJsonAsync("/api/v1/sla/policies", new { name = "Urgent", priority = "Urgent", firstResponseMinutes = 60, resolutionMinutes = 240, calendarId = calendar.Id }))
            .EnsureSuccessStatusCode();

        await using var scope = app.Services.CreateAsyncScope();
        var dbs = scope.ServiceProvider.GetRequiredService<IDbContextFactory<PsmDb>>();
        var keeper = scope.ServiceProvider.GetRequiredService<RollupKeeper>();
        var metrics = scope.ServiceProvider.GetRequiredService<MetricRegistry>();
        var rng = new Random(20261201);
        List<Guid> services, teams, agents, surveys, customerIds;
        Guid policy;
        await using (var db = await dbs.CreateDbContextAsync())
        {
            policy = await db.SlaPolicies.Select(p => p.Id).SingleAsync();
            var serviceRows = products.Select((p, i) => new Service { ProductId = p, Name = $"Support {i}", Kind = ServiceKind.Support, CreatedAt = DateTimeOffset.UtcNow }).ToList();
            var teamRows = new[] { "Tier 1", "Tier 2" }.Select(n => new Team { Name = n, CreatedAt = DateTimeOffset.UtcNow }).ToList();
            var surveyRows = new[] { SurveyKind.Nps, SurveyKind.Csat, SurveyKind.Ces }
                .Select((k, i) => new Survey { Name = $"{k} pulse", Kind = k, Question = "How was it?", ProductId = i < 2 ? products[i] : null, CreatedAt = DateTimeOffset.UtcNow })
                .ToList();
            db.AddRange(serviceRows);
            db.AddRange(teamRows);
            db.AddRange(surveyRows);
            await db.SaveChangesAsync();
            (services, teams, surveys) = (serviceRows.Select(s => s.Id).ToList(), teamRows.Select(t => t.Id).ToList(), surveyRows.Select(s => s.Id).ToList());
            agents = await db.Users.OrderBy(u => u.Email).Select(u => u.Id).Take(3).ToListAsync();
            var customers = Enumerable.Range(0, 40).Select(i => new Customer { Name = $"Random {i}", Email = $"r{i}@example.test", Country = "DE", CreatedAt = DateTimeOffset.UtcNow }).ToList();
            db.Customers.AddRange(customers);
            await db.SaveChangesAsync();
            customerIds = customers.Select(c => c.Id).ToList();

            // 1 500 tickets over 150 days: times from minutes to weeks, some open, some reopened, breached, escalated.
            for (var i = 0; i < 1500; i++)
            {
                var created = new DateTimeOffset(End.AddDays(-rng.Next(150)).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddMinutes(rng.Next(1440));
                var ticket = new Ticket
                {
                    Number = i + 1, Subject = $"Random {i}", CustomerId = customers[rng.Next(customers.Count)].Id, CreatedAt = created,
                    ProductId = rng.Next(4) == 0 ? null : products[rng.Next(2)], Channel = (TicketChannel)rng.Next(5), Priority = (TicketPriority)rng.Next(4),
                    Status = TicketStatus.Open,
                };
                ticket.ServiceId = ticket.ProductId is { } p && rng.Next(2) == 0 ? services[products.IndexOf(p)] : null;
                ticket.TeamId = rng.Next(5) == 0 ? null : teams[rng.Next(2)];
                ticket.AssigneeId = rng.Next(4) == 0 ? null : agents[rng.Next(agents.Count)];
                ticket.SlaPolicyId = rng.Next(3) == 0 ? null : policy;
                ticket.EscalationLevel = rng.Next(6) == 0 ? rng.Next(1, 3) : 0;
                if (ticket.SlaPolicyId is not null && rng.Next(4) == 0)
                {
                    ticket.FirstResponseBreachedAt = created.AddHours(1);
                }

                if (rng.Next(10) < 8)
                {
                    ticket.FirstResponseMinutes = Minutes(rng);
                    ticket.FirstResponseAt = created.AddMinutes(ticket.FirstResponseMinutes.Value);
                    if (rng.Next(10) < 8)
                    {
                        ticket.ResolutionMinutes = ticket.FirstResponseMinutes + Minutes(rng);
                        ticket.ResolvedAt = created.AddMinutes(ticket.ResolutionMinutes.Value + rng.Next(600));
                        ticket.Status = TicketStatus.Resolved;
                        ticket.Reopened = rng.Next(7) == 0 ? rng.Next(1, 3) : 0;
                        ticket.ResolutionBreachedAt = ticket.SlaPolicyId is not null && rng.Next(5) == 0 ? created.AddHours(4) : null;
                    }
                }

                db.Tickets.Add(ticket);
            }

            for (var i = 0; i < 2000; i++)
            {
                var survey = surveyRows[rng.Next(surveyRows.Count)];
                var (min, max) = Survey.ScaleOf(survey.Kind);
                var at = new DateTimeOffset(End.AddDays(-rng.Next(150)).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddMinutes(rng.Next(1440));
                db.SurveyResponses.Add(new SurveyResponse
                {
                    SurveyId = survey.Id, Score = rng.Next(min, max + 1), RespondedAt = at, RespondedOn = DateOnly.FromDateTime(at.UtcDateTime),
                    Channel = ResponseChannel.Import,
                });
            }

            await db.SaveChangesAsync();
        }

        // Before the job runs, the triggers have marked every new day: readers use the rows.
        await CompareAsync(metrics, rng, products, services, teams, agents, 10);
        Assert.True(await keeper.CatchUpAsync() >= 150);
        await using (var db = await dbs.CreateDbContextAsync())
        {
            Assert.Equal(0, await db.RollupMarks.CountAsync());
            Assert.True(await db.TicketDayRollups.CountAsync(r => r.Cut == TicketRollups.All) >= 140);
            Assert.True(await db.AnswerDayRollups.CountAsync() > 300);
        }

        await AssertStoredRollupsMatchTheRowsAsync(dbs);
        await CompareAsync(metrics, rng, products, services, teams, agents, 20);

        // Changes of every kind: tracked edits (resolve, reopen, reassign, re-prioritise, delete), the SLA monitor's
        // set-based breaches, a tracked answer and an import of answers in bulk.
        await using (var db = await dbs.CreateDbContextAsync())
        {
            var open = await db.Tickets.Where(t => t.ResolvedAt == null).OrderBy(t => t.Number).Take(30).ToListAsync();
            foreach (var t in open.Take(10))
            {
                t.FirstResponseMinutes ??= 12.5;
                t.FirstResponseAt ??= t.CreatedAt.AddMinutes(12.5);
                (t.ResolvedAt, t.ResolutionMinutes, t.Status) = (t.CreatedAt.AddDays(3), 3 * 1440, TicketStatus.Resolved);
            }

            foreach (var t in open.Skip(10).Take(10))
            {
                (t.TeamId, t.Priority, t.AssigneeId) = (teams[0], TicketPriority.Low, agents[0]);
            }

            // Due an hour after opening and never answered: the monitor marks them breached and escalates them.
            foreach (var t in open.Skip(20))
            {
                (t.SlaPolicyId, t.FirstResponseDueAt, t.FirstResponseAt, t.FirstResponseMinutes, t.FirstResponseBreachedAt, t.EscalationLevel) =
                    (policy, t.CreatedAt.AddHours(1), null, null, null, 0);
            }

            var resolved = await db.Tickets.Where(t => t.ResolvedAt != null).OrderBy(t => t.Number).Take(10).ToListAsync();
            foreach (var t in resolved.Take(5))
            {
                (t.ResolvedAt, t.ResolutionMinutes, t.Reopened, t.Status) = (null, null, t.Reopened + 1, TicketStatus.Open);
            }

            db.Tickets.RemoveRange(resolved.Skip(5));
            db.SurveyResponses.Add(new SurveyResponse
            {
                SurveyId = surveys[0], Score = 0, RespondedAt = new DateTimeOffset(2026, 10, 20, 9, 0, 0, TimeSpan.Zero), RespondedOn = new DateOnly(2026, 10, 20),
                Channel = ResponseChannel.Import,
            });
            await db.SaveChangesAsync();
        }

        // A change made past EF's change tracking: a set-based UPDATE.
        await using (var db = await dbs.CreateDbContextAsync())
        {
            Assert.True(await db.Tickets.Where(t => t.Number % 40 == 0).ExecuteUpdateAsync(u => u.SetProperty(t => t.Priority, TicketPriority.Urgent).SetProperty(t => t.TeamId, teams[1])) > 0);
        }

        var csv = new StringBuilder("score,respondedAt\n");
        for (var i = 0; i < 200; i++)
        {
            csv.Append($"{rng.Next(11)},{End.AddDays(-rng.Next(20)):yyyy-MM-dd}T10:00:00Z\n");
        }

        (await pm.PostAsync($"/api/v1/surveys/{surveys[0]}/responses/import", new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"))).EnsureSuccessStatusCode();
        (await admin.PostAsync("/api/v1/sla/monitor/run", null)).EnsureSuccessStatusCode();
        await using (var db = await dbs.CreateDbContextAsync())
        {
            Assert.Equal(10, await db.Tickets.CountAsync(t => t.FirstResponseBreachedAt != null && t.FirstResponseDueAt != null && t.FirstResponseAt == null && t.EscalationLevel == 1));
            Assert.True(await db.RollupMarks.CountAsync(m => m.Kind == RollupKinds.Tickets) > 0);
            Assert.True(await db.RollupMarks.CountAsync(m => m.Kind == RollupKinds.Answers) > 0);
        }

        // Marked days are read from the rows until the next run; then from the rollups again.
        await CompareAsync(metrics, rng, products, services, teams, agents, 15);
        Assert.True(await keeper.CatchUpAsync() > 0);
        await using (var db = await dbs.CreateDbContextAsync())
        {
            Assert.Equal(0, await db.RollupMarks.CountAsync());
        }

        await AssertStoredRollupsMatchTheRowsAsync(dbs);
        await CompareAsync(metrics, rng, products, services, teams, agents, 20);

        // A customer deleted with its tickets by the database's cascade.
        await using (var db = await dbs.CreateDbContextAsync())
        {
            Assert.True(await db.Tickets.CountAsync(t => t.CustomerId == customerIds[0]) > 0);
            Assert.Equal(1, await db.Customers.Where(c => c.Id == customerIds[0]).ExecuteDeleteAsync());
            Assert.Equal(0, await db.Tickets.CountAsync(t => t.CustomerId == customerIds[0]));
        }

        Assert.True(await keeper.CatchUpAsync() > 0);
        await AssertStoredRollupsMatchTheRowsAsync(dbs);
        await CompareAsync(metrics, rng, products, services, teams, agents, 10);

        // Rebuilt from scratch (docs/operations.md): without its state row, the next run marks and recomputes every day.
        await using (var db = await dbs.CreateDbContextAsync())
        {
            await db.RollupStates.ExecuteDeleteAsync();
            await db.TicketDayRollups.ExecuteDeleteAsync();
            await db.AnswerDayRollups.ExecuteDeleteAsync();
        }

        await CompareAsync(metrics, rng, products, services, teams, agents, 5);
        Assert.True(await keeper.CatchUpAsync() >= 150);
        await AssertStoredRollupsMatchTheRowsAsync(dbs);

        // The figures above came from the rollups: a rollup altered behind PSM's back shows in them (and not in the rows).
        var whole = new MetricQuery(End.AddDays(-200), End.AddDays(1));
        var opened = await metrics.EvaluateRawAsync("service.tickets_opened", whole);
        var answers = await metrics.EvaluateRawAsync("survey.responses", whole);
        await using (var db = await dbs.CreateDbContextAsync())
        {
            var day = await db.TicketDayRollups.Where(r => r.Cut == TicketRollups.All && r.Opened > 0).Select(r => r.Day).MaxAsync();
            await db.TicketDayRollups.Where(r => r.Cut == TicketRollups.All && r.Day == day).ExecuteUpdateAsync(s => s.SetProperty(r => r.Opened, r => r.Opened + 1000));
            var one = await db.AnswerDayRollups.OrderBy(r => r.Day).FirstAsync();
            await db.AnswerDayRollups.Where(r => r.SurveyId == one.SurveyId && r.Day == one.Day && r.Score == one.Score)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Answers, r => r.Answers + 1000));
        }

        Assert.Equal(opened + 1000, await metrics.EvaluateAsync("service.tickets_opened", whole));
        Assert.Equal(answers + 1000, await metrics.EvaluateAsync("survey.responses", whole));
        Assert.Equal(opened, await metrics.EvaluateRawAsync("service.tickets_opened", whole));
    }

    /// <summary>Every stored rollup row equals the row computed afresh from the tickets and answers, and there are no others.</summary>
    private static async Task AssertStoredRollupsMatchTheRowsAsync(IDbContextFactory<PsmDb> dbs)
    {
        await using var db = await dbs.CreateDbContextAsync();
        Assert.Equal(0, await db.RollupMarks.CountAsync());
        var days = Enumerable.Range(0, 240).Select(i => End.AddDays(i - 200)).ToList();
        static string Ticket(TicketDayRollup r) =>
            $"{r.Day} {r.Cut} {r.Value}: {r.Opened} {r.UnderSla} {r.SlaMet} {r.Escalated} {r.Resolved} {r.Reopened} " +
            $"{Convert.ToBase64String(r.FirstResponse ?? [])} {Convert.ToBase64String(r.Resolution ?? [])}";
        var fresh = (await TicketRollups.RowsAsync(db, days, default)).Select(Ticket).Order().ToList();
        var stored = (await db.TicketDayRollups.AsNoTracking().ToListAsync()).Select(Ticket).Order().ToList();
        Assert.True(fresh.Count > 500);
        Assert.Equal(fresh, stored);
        static string Answer(AnswerDayRollup r) => $"{r.SurveyId} {r.Day} {r.Score}: {r.Answers}";
        var freshAnswers = (await AnswerRollups.RowsAsync(db, days, default)).Select(Answer).Order().ToList();
        var storedAnswers = (await db.AnswerDayRollups.AsNoTracking().ToListAsync()).Select(Answer).Order().ToList();
        Assert.Equal(freshAnswers, storedAnswers);
    }

    /// <summary>Business minutes from under a minute to about two weeks, most under a day.</summary>
    private static double Minutes(Random rng) => Math.Round(Math.Exp(rng.NextDouble() * 10) - 0.9, rng.Next(3));

    private static async Task CompareAsync(MetricRegistry metrics, Random rng, List<Guid> products, List<Guid> services, List<Guid> teams, List<Guid> agents, int rounds)
    {
        var rolled = metrics.RolledUp;
        Assert.Contains(rolled, m => m.Definition.Key == "service.resolution_p90");
        Assert.Contains(rolled, m => m.Definition.Key == "survey.nps");
        for (var round = 0; round < rounds; round++)
        {
            var from = End.AddDays(-rng.Next(170));
            var query = new MetricQuery(from, from.AddDays(rng.Next(1, 120)));
            foreach (var metric in rolled)
            {
                var q = metric.Definition.Key.StartsWith("survey.", StringComparison.Ordinal)
                    ? (rng.Next(3)) switch { 0 => query with { ProductId = products[rng.Next(2)] }, _ => query }
                    : (rng.Next(8)) switch
                    {
                        0 => query with { ProductId = products[rng.Next(2)] },
                        1 => query with { ServiceId = services[rng.Next(2)] },
                        2 => query with { TeamId = teams[rng.Next(2)] },
                        3 => query with { AgentId = agents[rng.Next(agents.Count)] },
                        4 => query with { Channel = ((TicketChannel)rng.Next(5)).ToString() },
                        5 => query with { Priority = ((TicketPriority)rng.Next(4)).ToString() },
                        _ => query,
                    };
                var key = metric.Definition.Key;
                var value = await metrics.EvaluateAsync(key, q);
                var raw = await metrics.EvaluateRawAsync(key, q);
                var what = $"{key} over {q.From}..{q.To} ({q.ProductId}{q.ServiceId}{q.TeamId}{q.AgentId}{q.Channel}{q.Priority}): rollup {value}, rows {raw}";
                if (key.EndsWith("_median", StringComparison.Ordinal) || key.EndsWith("_p90", StringComparison.Ordinal))
                {
                    Assert.True(value is null == raw is null, what);
                    if (raw is { } exact)
                    {
                        Assert.True(value <= exact + 1e-9 && value >= exact - MinuteBins.Width(exact) - 1e-9, what);
                    }
                }
                else
                {
                    Assert.True(value == raw, what);
                }
            }
        }
    }
}
